// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import "./Mandates.sol";

/// @title ConnectedWallets: mandates debited from the payer's own wallet.
/// @notice Each debit pulls an ERC-20 from the payer's wallet through the allowance the payer gave
/// this contract. The payer keeps the money until a debit; a short balance or allowance makes the
/// debit revert (the service decides which from balanceOf/allowance reads, before it sends).
/// No native coin: a wallet cannot give an allowance for it (VirtualAccounts can).
contract ConnectedWallets is Mandates {
    using SafeERC20 for IERC20;

    constructor() Mandates("ConnectedWallets") {}

    function _supportsNative() internal pure override returns (bool) {
        return false;
    }

    function _pay(address payer, address payee, address token, uint256 amount) internal override {
        // SafeERC20: tokens that return nothing (USDT) and tokens that return false both handled.
        IERC20(token).safeTransferFrom(payer, payee, amount);
    }
}

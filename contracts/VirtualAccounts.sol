// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import "./Mandates.sol";

/// @title VirtualAccounts: mandates debited from a deposit the payer keeps here.
/// @notice A payer deposits the native coin or an ERC-20 into its own balance, one per (payer, token):
/// the `commitment` keccak256(abi.encode(payer, token)). Only the payer withdraws it, at any time; debits
/// of the payer's mandates come out of it. The only way to debit the native coin.
contract VirtualAccounts is Mandates {
    using SafeERC20 for IERC20;

    mapping(bytes32 => uint256) private _balances;

    event Deposited(address indexed payer, address indexed token, uint256 amount, uint256 balance);
    event Withdrawn(address indexed payer, address indexed token, uint256 amount, uint256 balance);

    error NativeValueMismatch(uint256 sent, uint256 amount);
    error InsufficientDeposit(uint256 available, uint256 amount);
    error NativeTransferFailed(address to, uint256 amount);

    constructor() Mandates("VirtualAccounts") {}

    /// The payer's bucket for one token.
    function commitmentOf(address payer, address token) public pure returns (bytes32) {
        return keccak256(abi.encode(payer, token));
    }

    function balanceOf(address payer, address token) external view returns (uint256) {
        return _balances[commitmentOf(payer, token)];
    }

    /// Adds to the sender's own balance: the native coin (token address(0), sent as the value) or an
    /// ERC-20 through an allowance. Credits what actually arrived (a fee-on-transfer token's net).
    function deposit(address token, uint256 amount) external payable nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 received = amount;
        if (token == address(0)) {
            if (msg.value != amount) revert NativeValueMismatch(msg.value, amount);
        } else {
            if (msg.value != 0) revert NativeValueMismatch(msg.value, 0);
            if (token.code.length == 0) revert TokenNotContract(token);
            uint256 before = IERC20(token).balanceOf(address(this));
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
            received = IERC20(token).balanceOf(address(this)) - before;
        }
        bytes32 commitment = commitmentOf(msg.sender, token);
        uint256 balance = _balances[commitment] + received;
        _balances[commitment] = balance;
        emit Deposited(msg.sender, token, received, balance);
    }

    /// Takes from the sender's own balance, at any time.
    function withdraw(address token, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = _take(msg.sender, token, amount);
        _send(token, msg.sender, amount);
        emit Withdrawn(msg.sender, token, amount, balance);
    }

    function _supportsNative() internal pure override returns (bool) {
        return true;
    }

    function _pay(address payer, address payee, address token, uint256 amount) internal override {
        _take(payer, token, amount);
        _send(token, payee, amount);
    }

    /// Lowers the balance before any transfer (checks, effects, interactions); returns what is left.
    function _take(address payer, address token, uint256 amount) private returns (uint256 balance) {
        bytes32 commitment = commitmentOf(payer, token);
        uint256 available = _balances[commitment];
        if (available < amount) revert InsufficientDeposit(available, amount);
        balance = available - amount;
        _balances[commitment] = balance;
    }

    function _send(address token, address to, uint256 amount) private {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert NativeTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Escrow: a payer's ERC-20 deposit held against one payment intent until delivery (delivery versus payment).
/// @notice One deposit per intent id (the service uses keccak256 of its `pi_…` id) and payer, ever: a pair
/// once used is never used again, so a signed deposit cannot be replayed. Deposits are keyed by the payer too
/// so that nobody can spend an intent's id with a deposit of their own (a stranger's tiny deposit under the
/// id, front-running the payer, would otherwise block the payer's for good): a stranger's deposit is theirs
/// alone, and the service counts only the payer's. A locked deposit leaves the contract exactly once, in
/// full, to one of the two addresses fixed when it was locked:
/// - `release`: to the merchant, by an allowed relayer (the service, on delivery) or by the payer; only
///   before the deadline.
/// - `refund`: back to the payer, by an allowed relayer (the service, on a cancel) or by the merchant; at any time.
/// - `reclaim`: back to the payer, by the payer alone (their own deposit), from the deadline on: nobody's
///   help is needed.
/// From the deadline on, the deposit can only go back to the payer. Nobody else (the owner included) can move
/// it anywhere: a stolen relayer key can at worst pay a merchant early or refund a payer, never itself.
/// The owner only allows and removes relayers.
contract Escrow is EIP712, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// None: the (intent id, payer) pair was never used. Every other status is final except Locked.
    enum Status {
        None,
        Locked,
        Released,
        Refunded,
        Reclaimed
    }

    /// What a payer signs so that someone else (a relayer paying the gas) may lock the deposit for them.
    /// `validBefore` bounds when the signature may be used; `deadline` is when the payer may reclaim.
    struct Deposit {
        bytes32 intentId;
        address payer;
        address token;
        uint256 amount;
        address merchant;
        uint64 deadline;
        uint64 validBefore;
    }

    /// A deposit, in three storage slots (an amount up to 2^96 - 1: 7.9e22 of a 6-decimal token, 7.9e10
    /// of an 18-decimal one). It stays after it is paid out: its (intent id, payer) pair is spent.
    struct Held {
        address payer;
        uint64 deadline;
        Status status;
        address merchant;
        uint96 amount;
        address token;
    }

    bytes32 public constant DEPOSIT_TYPEHASH = keccak256(
        "Deposit(bytes32 intentId,address payer,address token,uint256 amount,address merchant,uint64 deadline,uint64 validBefore)"
    );

    /// keccak256(abi.encode(intentId, payer)) → the deposit (`_key`).
    mapping(bytes32 => Held) private _escrows;
    mapping(address => bool) public isRelayer;

    /// Every deposit event names the intent id and the payer (indexed): a deposit is theirs together.
    event Locked(
        bytes32 indexed intentId,
        address indexed payer,
        address indexed merchant,
        address token,
        uint256 amount,
        uint64 deadline
    );
    event Released(
        bytes32 indexed intentId,
        address indexed payer,
        address indexed merchant,
        address token,
        uint256 amount,
        address by
    );
    event Refunded(bytes32 indexed intentId, address indexed payer, address token, uint256 amount, address by);
    event Reclaimed(bytes32 indexed intentId, address indexed payer, address token, uint256 amount);
    event RelayerSet(address indexed relayer, bool allowed);

    error ZeroAddress(string field);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error MerchantIsPayer();
    error TokenNotContract(address token);
    error DeadlineNotInFuture(uint64 deadline);
    error SignatureExpired(uint64 validBefore);
    error InvalidSignature();
    error DepositExists(bytes32 intentId, address payer, Status status);
    error AmountNotReceived(uint256 amount, uint256 received);
    error UnknownDeposit(bytes32 intentId, address payer);
    error NotLocked(bytes32 intentId, address payer, Status status);
    error NotRelayerOrPayer(address caller);
    error NotRelayerOrMerchant(address caller);
    error DeadlinePassed(uint64 deadline);
    error DeadlineNotReached(uint64 deadline);

    constructor() EIP712("Escrow", "1") {}

    // --- owner -------------------------------------------------------------------------------------

    /// Allows or removes a relayer (a hot key that pays gas, submits signed deposits, releases and refunds).
    function setRelayer(address relayer, bool allowed) external onlyOwner {
        if (relayer == address(0)) revert ZeroAddress("relayer");
        isRelayer[relayer] = allowed;
        emit RelayerSet(relayer, allowed);
    }

    // --- locking -----------------------------------------------------------------------------------

    /// Locks `amount` of `token` from the caller (the payer, who approved this contract) for `merchant`.
    function deposit(bytes32 intentId, address token, uint256 amount, address merchant, uint64 deadline) external nonReentrant {
        _lock(intentId, msg.sender, token, amount, merchant, deadline);
    }

    /// Locks a deposit the payer signed (EIP-712, an EOA or ERC-1271 wallet), from the payer's allowance.
    /// Anyone may send it: the signature fixes every term.
    function depositWithSignature(Deposit calldata d, bytes calldata signature) external nonReentrant {
        _checkSignature(d, signature);
        _lock(d.intentId, d.payer, d.token, d.amount, d.merchant, d.deadline);
    }

    /// As depositWithSignature, with the allowance given by the payer's EIP-2612 permit in the same
    /// transaction: the payer sends nothing and pays no gas. A permit someone already used (front-run)
    /// is skipped; the transfer then needs the allowance it gave.
    function depositWithPermit(
        Deposit calldata d,
        bytes calldata signature,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        _checkSignature(d, signature);
        try IERC20Permit(d.token).permit(d.payer, address(this), d.amount, permitDeadline, v, r, s) {} catch {}
        _lock(d.intentId, d.payer, d.token, d.amount, d.merchant, d.deadline);
    }

    // --- paying out --------------------------------------------------------------------------------

    /// Pays the payer's deposit to the merchant: by an allowed relayer or the payer, before the deadline.
    function release(bytes32 intentId, address payer) external nonReentrant {
        Held storage e = _locked(intentId, payer);
        if (!isRelayer[msg.sender] && msg.sender != e.payer) revert NotRelayerOrPayer(msg.sender);
        if (block.timestamp >= e.deadline) revert DeadlinePassed(e.deadline);
        e.status = Status.Released;
        IERC20(e.token).safeTransfer(e.merchant, e.amount);
        emit Released(intentId, payer, e.merchant, e.token, e.amount, msg.sender);
    }

    /// Pays the payer's deposit back to them: by an allowed relayer or the merchant, at any time.
    function refund(bytes32 intentId, address payer) external nonReentrant {
        Held storage e = _locked(intentId, payer);
        if (!isRelayer[msg.sender] && msg.sender != e.merchant) revert NotRelayerOrMerchant(msg.sender);
        e.status = Status.Refunded;
        IERC20(e.token).safeTransfer(e.payer, e.amount);
        emit Refunded(intentId, e.payer, e.token, e.amount, msg.sender);
    }

    /// Pays the caller's own deposit back to them, from the deadline on: only the payer can, since the key is theirs.
    function reclaim(bytes32 intentId) external nonReentrant {
        Held storage e = _locked(intentId, msg.sender);
        if (block.timestamp < e.deadline) revert DeadlineNotReached(e.deadline);
        e.status = Status.Reclaimed;
        IERC20(e.token).safeTransfer(e.payer, e.amount);
        emit Reclaimed(intentId, e.payer, e.token, e.amount);
    }

    // --- views -------------------------------------------------------------------------------------

    /// The payer's deposit for an intent id; all zero with status None for a pair never used.
    function escrowOf(bytes32 intentId, address payer) external view returns (Held memory) {
        return _escrows[_key(intentId, payer)];
    }

    /// The EIP-712 digest of a deposit in this contract's domain: what the payer signs.
    function depositDigest(Deposit calldata d) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(DEPOSIT_TYPEHASH, d)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // --- internals ---------------------------------------------------------------------------------

    function _checkSignature(Deposit calldata d, bytes calldata signature) private view {
        if (d.payer == address(0)) revert ZeroAddress("payer");
        if (block.timestamp >= d.validBefore) revert SignatureExpired(d.validBefore);
        if (!SignatureChecker.isValidSignatureNow(d.payer, depositDigest(d), signature)) revert InvalidSignature();
    }

    /// Checks, records the deposit (effects), then pulls the tokens (interaction) and checks they all arrived.
    function _lock(bytes32 intentId, address payer, address token, uint256 amount, address merchant, uint64 deadline) private {
        if (merchant == address(0)) revert ZeroAddress("merchant");
        if (merchant == payer) revert MerchantIsPayer();
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint96).max) revert AmountTooLarge(amount);
        if (token.code.length == 0) revert TokenNotContract(token);
        if (deadline <= block.timestamp) revert DeadlineNotInFuture(deadline);
        bytes32 key = _key(intentId, payer);
        Status status = _escrows[key].status;
        if (status != Status.None) revert DepositExists(intentId, payer, status);

        _escrows[key] = Held({
            payer: payer,
            deadline: deadline,
            status: Status.Locked,
            merchant: merchant,
            amount: uint96(amount),
            token: token
        });
        // A token that takes a fee on transfer would leave less than the deposit says: refused.
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(payer, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert AmountNotReceived(amount, received);
        emit Locked(intentId, payer, merchant, token, amount, deadline);
    }

    function _locked(bytes32 intentId, address payer) private view returns (Held storage e) {
        e = _escrows[_key(intentId, payer)];
        if (e.status == Status.None) revert UnknownDeposit(intentId, payer);
        if (e.status != Status.Locked) revert NotLocked(intentId, payer, e.status);
    }

    function _key(bytes32 intentId, address payer) private pure returns (bytes32) {
        return keccak256(abi.encode(intentId, payer));
    }
}

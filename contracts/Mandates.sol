// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/access/Ownable.sol";
import "@openzeppelin/contracts/security/ReentrancyGuard.sol";
import "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title Mandates: recurring debits a payer signed (EIP-712), enforced on chain.
/// @notice The shared rules of ConnectedWallets and VirtualAccounts. A payer signs a Mandate; its
/// EIP-712 digest (in the contract's own domain) is the mandate's id. Anyone may register a validly
/// signed mandate; afterwards only an allowed relayer or the payee may debit it, and never more than
/// the payer signed: at most `maxAmount` per debit, at most `debitTimes` debits, at most one per
/// period. Periods are fixed windows from `start`: period n = [start + (n-1)*interval, start + n*interval),
/// so the schedule never drifts, and a period without a debit is forfeited, never caught up.
/// The payer, the payee or an allowed relayer may cancel at any time; a cancel is final.
abstract contract Mandates is EIP712, Ownable, ReentrancyGuard {
    /// What the payer signs. `token` address(0) is the chain's native coin (VirtualAccounts only).
    /// `validBefore` bounds when the signature may be registered (authorize), not when debits happen.
    struct Mandate {
        address payer;
        address payee;
        address token;
        uint128 maxAmount;
        uint32 debitTimes;
        uint64 interval;
        uint64 start;
        uint64 validBefore;
        bytes32 salt;
    }

    /// A registered mandate: its terms and how far it has gone, in four storage slots.
    struct Registered {
        address payer;
        uint32 used;
        bool cancelled;
        address payee;
        uint64 start;
        address token;
        uint64 interval;
        uint128 maxAmount;
        uint64 lastPeriod;
        uint32 debitTimes;
    }

    /// What `mandateOf` answers. `nextDueAt` is the earliest time the next debit may happen (0 once
    /// none is left or the mandate is cancelled): the start of the period after the last debited one.
    struct MandateState {
        address payer;
        address payee;
        address token;
        uint128 maxAmount;
        uint32 debitTimes;
        uint64 interval;
        uint64 start;
        uint32 used;
        uint64 lastPeriod;
        bool cancelled;
        uint256 nextDueAt;
    }

    bytes32 public constant MANDATE_TYPEHASH = keccak256(
        "Mandate(address payer,address payee,address token,uint128 maxAmount,uint32 debitTimes,uint64 interval,uint64 start,uint64 validBefore,bytes32 salt)"
    );

    mapping(bytes32 => Registered) private _mandates;
    mapping(address => bool) public isRelayer;

    event MandateAuthorized(
        bytes32 indexed id,
        address indexed payer,
        address indexed payee,
        address token,
        uint128 maxAmount,
        uint32 debitTimes,
        uint64 interval,
        uint64 start
    );
    event Debited(
        bytes32 indexed id,
        address indexed payer,
        address indexed payee,
        address token,
        uint256 amount,
        uint64 period,
        uint32 used
    );
    event MandateCancelled(bytes32 indexed id, address indexed by);
    event RelayerSet(address indexed relayer, bool allowed);

    error ZeroAddress(string field);
    error ZeroMaxAmount();
    error ZeroDebitTimes();
    error ZeroInterval();
    error PayeeIsPayer();
    error NativeNotSupported();
    error TokenNotContract(address token);
    error SignatureExpired(uint64 validBefore);
    error InvalidSignature();
    error MandateExists(bytes32 id);
    error UnknownMandate(bytes32 id);
    error NotRelayerOrPayee(address caller);
    error NotPayerPayeeOrRelayer(address caller);
    error MandateIsCancelled(bytes32 id);
    error NoDebitsLeft(bytes32 id, uint32 debitTimes);
    error ZeroAmount();
    error AmountOverMax(uint256 amount, uint128 maxAmount);
    error NotStarted(uint64 start);
    error AlreadyDebitedThisPeriod(uint64 period, uint256 nextDueAt);

    constructor(string memory name) EIP712(name, "1") {}

    // --- owner -------------------------------------------------------------------------------------

    /// Allows or removes a relayer (a hot key that pays gas and submits debits).
    function setRelayer(address relayer, bool allowed) external onlyOwner {
        if (relayer == address(0)) revert ZeroAddress("relayer");
        isRelayer[relayer] = allowed;
        emit RelayerSet(relayer, allowed);
    }

    // --- mandates ----------------------------------------------------------------------------------

    /// Registers a mandate the payer signed (an EOA signature or ERC-1271). Anyone may send it.
    function authorize(Mandate calldata mandate, bytes calldata signature) external returns (bytes32 id) {
        if (mandate.payer == address(0)) revert ZeroAddress("payer");
        if (mandate.payee == address(0)) revert ZeroAddress("payee");
        if (mandate.payee == mandate.payer) revert PayeeIsPayer();
        if (mandate.maxAmount == 0) revert ZeroMaxAmount();
        if (mandate.debitTimes == 0) revert ZeroDebitTimes();
        if (mandate.interval == 0) revert ZeroInterval();
        if (mandate.token == address(0)) {
            if (!_supportsNative()) revert NativeNotSupported();
        } else if (mandate.token.code.length == 0) {
            revert TokenNotContract(mandate.token);
        }
        if (block.timestamp >= mandate.validBefore) revert SignatureExpired(mandate.validBefore);

        id = mandateId(mandate);
        if (_mandates[id].payer != address(0)) revert MandateExists(id);
        if (!SignatureChecker.isValidSignatureNow(mandate.payer, id, signature)) revert InvalidSignature();

        _mandates[id] = Registered({
            payer: mandate.payer,
            used: 0,
            cancelled: false,
            payee: mandate.payee,
            start: mandate.start,
            token: mandate.token,
            interval: mandate.interval,
            maxAmount: mandate.maxAmount,
            lastPeriod: 0,
            debitTimes: mandate.debitTimes
        });
        emit MandateAuthorized(
            id, mandate.payer, mandate.payee, mandate.token, mandate.maxAmount, mandate.debitTimes, mandate.interval, mandate.start
        );
    }

    /// Moves `amount` from the payer to the payee: once per period, within the signed limits.
    function debit(bytes32 id, uint256 amount) external nonReentrant {
        Registered storage m = _mandates[id];
        if (m.payer == address(0)) revert UnknownMandate(id);
        if (!isRelayer[msg.sender] && msg.sender != m.payee) revert NotRelayerOrPayee(msg.sender);
        if (m.cancelled) revert MandateIsCancelled(id);
        if (m.used >= m.debitTimes) revert NoDebitsLeft(id, m.debitTimes);
        if (amount == 0) revert ZeroAmount();
        if (amount > m.maxAmount) revert AmountOverMax(amount, m.maxAmount);
        if (block.timestamp < m.start) revert NotStarted(m.start);
        // Both operands are below 2^64, so the period fits in a uint64.
        uint64 period = uint64((block.timestamp - m.start) / m.interval + 1);
        if (period <= m.lastPeriod) {
            revert AlreadyDebitedThisPeriod(period, uint256(m.start) + uint256(m.lastPeriod) * m.interval);
        }

        m.used += 1;
        m.lastPeriod = period;
        _pay(m.payer, m.payee, m.token, amount);
        emit Debited(id, m.payer, m.payee, m.token, amount, period, m.used);
    }

    /// Ends the mandate for good. By the payer, the payee, or an allowed relayer.
    /// @dev A relayer may cancel because the service cancels for the merchant (the payee) without
    /// ever holding the merchant's key: its relayer sends the cancel. This widens nothing a relayer
    /// can take: a cancel only ever stops money, so a stolen relayer key still moves nothing the payer
    /// did not sign (at worst it ends mandates early, which the payer or merchant can sign again).
    function cancel(bytes32 id) external {
        Registered storage m = _mandates[id];
        if (m.payer == address(0)) revert UnknownMandate(id);
        if (msg.sender != m.payer && msg.sender != m.payee && !isRelayer[msg.sender]) revert NotPayerPayeeOrRelayer(msg.sender);
        if (m.cancelled) revert MandateIsCancelled(id);
        m.cancelled = true;
        emit MandateCancelled(id, msg.sender);
    }

    // --- views -------------------------------------------------------------------------------------

    /// The mandate's id: its EIP-712 digest in this contract's domain (what the payer signs).
    function mandateId(Mandate calldata mandate) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MANDATE_TYPEHASH, mandate)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// A registered mandate's terms and progress (UnknownMandate for an id never registered).
    function mandateOf(bytes32 id) external view returns (MandateState memory state) {
        Registered storage m = _mandates[id];
        if (m.payer == address(0)) revert UnknownMandate(id);
        bool open = !m.cancelled && m.used < m.debitTimes;
        state = MandateState({
            payer: m.payer,
            payee: m.payee,
            token: m.token,
            maxAmount: m.maxAmount,
            debitTimes: m.debitTimes,
            interval: m.interval,
            start: m.start,
            used: m.used,
            lastPeriod: m.lastPeriod,
            cancelled: m.cancelled,
            nextDueAt: open ? uint256(m.start) + uint256(m.lastPeriod) * m.interval : 0
        });
    }

    /// The period `timestamp` falls in (1 from `start` on; 0 before it).
    function periodAt(bytes32 id, uint256 timestamp) external view returns (uint256) {
        Registered storage m = _mandates[id];
        if (m.payer == address(0)) revert UnknownMandate(id);
        if (timestamp < m.start) return 0;
        return (timestamp - m.start) / m.interval + 1;
    }

    // --- per contract ------------------------------------------------------------------------------

    /// Whether mandates may name the native coin (token address(0)).
    function _supportsNative() internal pure virtual returns (bool);

    /// Moves `amount` of `token` from the payer to the payee, or reverts.
    function _pay(address payer, address payee, address token, uint256 amount) internal virtual;
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Per-job escrow with per-round payouts and pull-style withdrawals, in any allowed ERC-20.
/// @notice A requester deposits a job's budget in one of the tokens the admin allows; everything the job
/// pays, refunds or credits is in that token. The settlement authority pays verified rounds out of
/// it (only when the round's gradient match rate, computed here from its accepted and judged result counts,
/// reaches MIN_MATCH_RATE_BPS), then completes or
/// cancels the job, which credits the remainder back to the requester. Every payout is a credit that
/// its owner withdraws (pull payments: a reverting recipient cannot block settlement). If the job is
/// never closed, the requester reclaims the remainder once `reclaimGrace` seconds have passed after the
/// deadline. Until then the settlement authority can still pay rounds that were due at the deadline: a
/// requester cannot take back, at the deadline, what verified work has already earned.
/// @dev Every settlement id (a round payout, a completion, a cancellation) is accepted at most once,
/// so the coordinator can resend a transaction after a restart without paying twice.
/// Roles: DEFAULT_ADMIN_ROLE (the owner) pauses, allows tokens and grants roles; SETTLEMENT_ROLE pays,
/// completes and cancels. Pausing blocks deposit, payRound, complete and cancel; never withdraw or reclaim.
/// Disallowing a token stops new deposits in it only: its open jobs still settle and its credits still pay.
/// Invariant, per token T: T.balanceOf(this) == sum of open T-jobs' remaining + sum of withdrawable T credits.
contract JobEscrow is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant SETTLEMENT_ROLE = keccak256("SETTLEMENT_ROLE");
    uint16 public constant MIN_MATCH_RATE_BPS = 9_500;
    uint16 public constant BPS_DENOMINATOR = 10_000;

    enum JobStatus {
        None,
        Open,
        Completed,
        Cancelled,
        Reclaimed
    }

    struct Job {
        address requester;
        uint64 deadline;
        JobStatus status;
        IERC20 token;
        uint256 deposited;
        uint256 remaining;
        uint256 paidOut;
        uint256 refunded;
    }

    /// @notice Tokens a job may be deposited in.
    mapping(IERC20 => bool) public tokenAllowed;
    IERC20[] private _tokens;
    /// @notice Seconds after a job's deadline during which only the settlement authority can settle it.
    uint64 public immutable reclaimGrace;

    mapping(bytes32 => Job) public jobs;
    /// @notice Settlement ids already accepted (payRound, complete, cancel).
    mapping(bytes32 => bool) public settlementUsed;
    /// @notice Credits waiting to be withdrawn, per account and token.
    mapping(address => mapping(IERC20 => uint256)) public withdrawable;

    error ZeroAmount();
    error ZeroAddress();
    error JobAlreadyExists(bytes32 jobId);
    error JobNotOpen(bytes32 jobId);
    error DeadlineInPast(uint64 deadline);
    error ReclaimTooEarly(uint64 reclaimableAfter);
    error NotRequester(address caller);
    error MatchRateTooLow(uint32 accepted, uint32 judged, uint16 minimumBps);
    error InvalidRoundCounts(uint32 accepted, uint32 judged);
    error MorePayeesThanAccepted(uint256 payees, uint32 accepted);
    error SettlementIdUsed(bytes32 settlementId);
    error LengthMismatch(uint256 workers, uint256 amounts);
    error EmptyPayout();
    error InsufficientEscrow(uint256 requested, uint256 remaining);
    error NothingToWithdraw();
    error TokenNotAllowed(address token);

    event Deposited(bytes32 indexed jobId, address indexed requester, address indexed token, uint256 amount, uint64 deadline);
    event WorkerCredited(bytes32 indexed jobId, bytes32 indexed settlementId, address indexed worker, uint256 amount);
    event RoundPaid(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 total, uint32 accepted, uint32 judged);
    event JobCompleted(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 refund);
    event JobCancelled(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 refund);
    event JobReclaimed(bytes32 indexed jobId, address indexed requester, uint256 amount);
    event Withdrawn(address indexed account, address indexed token, uint256 amount);
    event TokenAllowedChanged(address indexed token, bool allowed);

    constructor(IERC20[] memory tokens_, address admin, address settlementAuthority, uint64 reclaimGrace_) {
        if (admin == address(0)) revert ZeroAddress();
        for (uint256 i = 0; i < tokens_.length; i++) _setTokenAllowed(tokens_[i], true);
        reclaimGrace = reclaimGrace_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (settlementAuthority != address(0)) _grantRole(SETTLEMENT_ROLE, settlementAuthority);
    }

    /// @notice Opens job `jobId` with `amount` of the caller's `token_` (an allowed token; needs an allowance).
    function deposit(bytes32 jobId, IERC20 token_, uint256 amount, uint64 deadline) external nonReentrant whenNotPaused {
        if (!tokenAllowed[token_]) revert TokenNotAllowed(address(token_));
        if (amount == 0) revert ZeroAmount();
        if (jobs[jobId].status != JobStatus.None) revert JobAlreadyExists(jobId);
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        jobs[jobId] = Job({
            requester: msg.sender,
            deadline: deadline,
            status: JobStatus.Open,
            token: token_,
            deposited: amount,
            remaining: amount,
            paidOut: 0,
            refunded: 0
        });
        emit Deposited(jobId, msg.sender, address(token_), amount, deadline);
        token_.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Credits one verified round's payouts. Settlement authority only; each settlementId once.
    /// @dev The match rate is computed here from the round's counts, never taken from the caller: of `judged`
    /// verified results, `accepted` were accepted, and the round pays only when accepted / judged reaches
    /// MIN_MATCH_RATE_BPS. Every paid worker earned at least one accepted result, so `accepted` also bounds
    /// the number of payees.
    function payRound(
        bytes32 jobId,
        bytes32 settlementId,
        address[] calldata workers,
        uint256[] calldata amounts,
        uint32 accepted,
        uint32 judged
    ) external nonReentrant whenNotPaused onlyRole(SETTLEMENT_ROLE) {
        Job storage job = _openJob(jobId);
        if (judged == 0 || accepted > judged) revert InvalidRoundCounts(accepted, judged);
        if (uint256(accepted) * BPS_DENOMINATOR < uint256(judged) * MIN_MATCH_RATE_BPS) {
            revert MatchRateTooLow(accepted, judged, MIN_MATCH_RATE_BPS);
        }
        if (workers.length > accepted) revert MorePayeesThanAccepted(workers.length, accepted);
        _useSettlementId(settlementId);
        if (workers.length != amounts.length) revert LengthMismatch(workers.length, amounts.length);
        if (workers.length == 0) revert EmptyPayout();
        uint256 total;
        for (uint256 i = 0; i < workers.length; i++) {
            if (workers[i] == address(0)) revert ZeroAddress();
            total += amounts[i];
        }
        if (total > job.remaining) revert InsufficientEscrow(total, job.remaining);
        job.remaining -= total;
        job.paidOut += total;
        for (uint256 i = 0; i < workers.length; i++) {
            withdrawable[workers[i]][job.token] += amounts[i];
            emit WorkerCredited(jobId, settlementId, workers[i], amounts[i]);
        }
        emit RoundPaid(jobId, settlementId, total, accepted, judged);
    }

    /// @notice Closes a finished job and credits the remainder to the requester. Settlement authority only.
    function complete(bytes32 jobId, bytes32 settlementId) external nonReentrant whenNotPaused onlyRole(SETTLEMENT_ROLE) {
        uint256 refund = _close(jobId, settlementId, JobStatus.Completed);
        emit JobCompleted(jobId, settlementId, refund);
    }

    /// @notice Closes an abandoned job and credits the remainder to the requester. Settlement authority only.
    function cancel(bytes32 jobId, bytes32 settlementId) external nonReentrant whenNotPaused onlyRole(SETTLEMENT_ROLE) {
        uint256 refund = _close(jobId, settlementId, JobStatus.Cancelled);
        emit JobCancelled(jobId, settlementId, refund);
    }

    /// @notice The requester takes back the remainder of a job nobody closed by its deadline plus the
    /// reclaim grace. Works while paused.
    function reclaim(bytes32 jobId) external nonReentrant {
        Job storage job = _openJob(jobId);
        if (msg.sender != job.requester) revert NotRequester(msg.sender);
        uint64 reclaimableAfter = job.deadline + reclaimGrace;
        if (block.timestamp <= reclaimableAfter) revert ReclaimTooEarly(reclaimableAfter);
        uint256 amount = job.remaining;
        job.remaining = 0;
        job.refunded = amount;
        job.status = JobStatus.Reclaimed;
        emit JobReclaimed(jobId, msg.sender, amount);
        if (amount > 0) job.token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays the caller all of their credits in `token_`. Works while paused.
    function withdraw(IERC20 token_) external nonReentrant {
        uint256 amount = withdrawable[msg.sender][token_];
        if (amount == 0) revert NothingToWithdraw();
        withdrawable[msg.sender][token_] = 0;
        emit Withdrawn(msg.sender, address(token_), amount);
        token_.safeTransfer(msg.sender, amount);
    }

    /// @notice Allows or disallows new deposits in `token_`. Admin only.
    function setTokenAllowed(IERC20 token_, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTokenAllowed(token_, allowed);
    }

    /// @notice Every token ever allowed, in the order first allowed (check tokenAllowed for the current list).
    function tokens() external view returns (IERC20[] memory) {
        return _tokens;
    }

    /// @notice Stops deposit, payRound, complete and cancel. Admin only.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes deposit, payRound, complete and cancel. Admin only.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    function _setTokenAllowed(IERC20 token_, bool allowed) private {
        if (address(token_) == address(0)) revert ZeroAddress();
        if (allowed && !tokenAllowed[token_]) {
            bool known;
            for (uint256 i = 0; i < _tokens.length && !known; i++) known = address(_tokens[i]) == address(token_);
            if (!known) _tokens.push(token_);
        }
        tokenAllowed[token_] = allowed;
        emit TokenAllowedChanged(address(token_), allowed);
    }

    function _openJob(bytes32 jobId) private view returns (Job storage job) {
        job = jobs[jobId];
        if (job.status != JobStatus.Open) revert JobNotOpen(jobId);
    }

    function _useSettlementId(bytes32 settlementId) private {
        if (settlementUsed[settlementId]) revert SettlementIdUsed(settlementId);
        settlementUsed[settlementId] = true;
    }

    function _close(bytes32 jobId, bytes32 settlementId, JobStatus status) private returns (uint256 refund) {
        Job storage job = _openJob(jobId);
        _useSettlementId(settlementId);
        refund = job.remaining;
        job.remaining = 0;
        job.refunded = refund;
        job.status = status;
        withdrawable[job.requester][job.token] += refund;
    }
}

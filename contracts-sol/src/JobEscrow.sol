// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title Per-job escrow with per-round payouts and pull-style withdrawals.
/// @notice A requester deposits a job's budget. The settlement authority pays verified rounds out of
/// it (only when the round's gradient match rate, computed here from its accepted and judged result counts,
/// reaches MIN_MATCH_RATE_BPS), then completes or
/// cancels the job, which credits the remainder back to the requester. Every payout is a credit that
/// its owner withdraws (pull payments: a reverting recipient cannot block settlement). If the job is
/// never closed, the requester reclaims the remainder once `reclaimGrace` seconds have passed after the
/// deadline. Until then the settlement authority can still pay rounds that were due at the deadline: a
/// requester cannot take back, at the deadline, what verified work has already earned.
/// @dev Every settlement id (a round payout, a completion, a cancellation) is accepted at most once,
/// so the coordinator can resend a transaction after a restart without paying twice.
/// Roles: DEFAULT_ADMIN_ROLE (the owner) pauses and grants roles; SETTLEMENT_ROLE pays, completes and
/// cancels. Pausing blocks deposit, payRound, complete and cancel; never withdraw or reclaim.
/// Invariant: token.balanceOf(this) == sum of open jobs' remaining + sum of withdrawable credits.
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
        uint256 deposited;
        uint256 remaining;
        uint256 paidOut;
        uint256 refunded;
    }

    IERC20 public immutable token;
    /// @notice Seconds after a job's deadline during which only the settlement authority can settle it.
    uint64 public immutable reclaimGrace;

    mapping(bytes32 => Job) public jobs;
    /// @notice Settlement ids already accepted (payRound, complete, cancel).
    mapping(bytes32 => bool) public settlementUsed;
    /// @notice Credits waiting to be withdrawn.
    mapping(address => uint256) public withdrawable;

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

    event Deposited(bytes32 indexed jobId, address indexed requester, uint256 amount, uint64 deadline);
    event WorkerCredited(bytes32 indexed jobId, bytes32 indexed settlementId, address indexed worker, uint256 amount);
    event RoundPaid(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 total, uint32 accepted, uint32 judged);
    event JobCompleted(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 refund);
    event JobCancelled(bytes32 indexed jobId, bytes32 indexed settlementId, uint256 refund);
    event JobReclaimed(bytes32 indexed jobId, address indexed requester, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);

    constructor(IERC20 token_, address admin, address settlementAuthority, uint64 reclaimGrace_) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        reclaimGrace = reclaimGrace_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (settlementAuthority != address(0)) _grantRole(SETTLEMENT_ROLE, settlementAuthority);
    }

    /// @notice Opens job `jobId` with `amount` of the caller's GENS (needs an allowance).
    function deposit(bytes32 jobId, uint256 amount, uint64 deadline) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        if (jobs[jobId].status != JobStatus.None) revert JobAlreadyExists(jobId);
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        jobs[jobId] = Job({
            requester: msg.sender,
            deadline: deadline,
            status: JobStatus.Open,
            deposited: amount,
            remaining: amount,
            paidOut: 0,
            refunded: 0
        });
        emit Deposited(jobId, msg.sender, amount, deadline);
        token.safeTransferFrom(msg.sender, address(this), amount);
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
            withdrawable[workers[i]] += amounts[i];
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
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays the caller all of their credits. Works while paused.
    function withdraw() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Stops deposit, payRound, complete and cancel. Admin only.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes deposit, payRound, complete and cancel. Admin only.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
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
        withdrawable[job.requester] += refund;
    }
}

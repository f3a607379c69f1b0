using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Contracts.Chain;

/// <summary>Typed messages mirroring contracts-sol/src/JobEscrow.sol (checked against its ABI by a test).</summary>
public static class JobEscrowAbi
{
    /// <summary>JobEscrow.JobStatus, in declaration order.</summary>
    public enum JobStatus : byte { None = 0, Open = 1, Completed = 2, Cancelled = 3, Reclaimed = 4 }

    public sealed class Deployment : ContractDeploymentMessage
    {
        public Deployment() : base(ContractArtifacts.JobEscrow.Bytecode) { }
        [Parameter("address[]", "tokens_", 1)] public List<string> Tokens { get; set; } = [];
        [Parameter("address", "admin", 2)] public string Admin { get; set; } = "";
        [Parameter("address", "settlementAuthority", 3)] public string SettlementAuthority { get; set; } = "";
        [Parameter("uint64", "reclaimGrace_", 4)] public ulong ReclaimGrace { get; set; }
    }

    [Function("deposit")]
    public sealed class DepositFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("address", "token_", 2)] public string Token { get; set; } = "";
        [Parameter("uint256", "amount", 3)] public BigInteger Amount { get; set; }
        [Parameter("uint64", "deadline", 4)] public ulong Deadline { get; set; }
    }

    [Function("payRound")]
    public sealed class PayRoundFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("address[]", "workers", 3)] public List<string> Workers { get; set; } = [];
        [Parameter("uint256[]", "amounts", 4)] public List<BigInteger> Amounts { get; set; } = [];
        [Parameter("uint32", "accepted", 5)] public uint Accepted { get; set; }
        [Parameter("uint32", "judged", 6)] public uint Judged { get; set; }
    }

    [Function("complete")]
    public sealed class CompleteFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2)] public byte[] SettlementId { get; set; } = new byte[32];
    }

    [Function("cancel")]
    public sealed class CancelFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2)] public byte[] SettlementId { get; set; } = new byte[32];
    }

    [Function("reclaim")]
    public sealed class ReclaimFunction : FunctionMessage
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
    }

    [Function("withdraw")]
    public sealed class WithdrawFunction : FunctionMessage
    {
        [Parameter("address", "token_", 1)] public string Token { get; set; } = "";
    }

    [Function("setTokenAllowed")]
    public sealed class SetTokenAllowedFunction : FunctionMessage
    {
        [Parameter("address", "token_", 1)] public string Token { get; set; } = "";
        [Parameter("bool", "allowed", 2)] public bool Allowed { get; set; }
    }

    [Function("tokenAllowed", "bool")]
    public sealed class TokenAllowedFunction : FunctionMessage
    {
        [Parameter("address", "", 1)] public string Token { get; set; } = "";
    }

    [Function("tokens", "address[]")] public sealed class TokensFunction : FunctionMessage;
    [Function("MIN_MATCH_RATE_BPS", "uint16")] public sealed class MinMatchRateBpsFunction : FunctionMessage;
    [Function("reclaimGrace", "uint64")] public sealed class ReclaimGraceFunction : FunctionMessage;

    [Function("jobs", typeof(JobOutput))]
    public sealed class JobsFunction : FunctionMessage
    {
        [Parameter("bytes32", "", 1)] public byte[] JobId { get; set; } = new byte[32];
    }

    /// <summary>The public getter's tuple for one job.</summary>
    [FunctionOutput]
    public sealed class JobOutput : IFunctionOutputDTO
    {
        [Parameter("address", "requester", 1)] public string Requester { get; set; } = "";
        [Parameter("uint64", "deadline", 2)] public ulong Deadline { get; set; }
        [Parameter("uint8", "status", 3)] public byte StatusCode { get; set; }
        [Parameter("address", "token", 4)] public string Token { get; set; } = "";
        [Parameter("uint256", "deposited", 5)] public BigInteger Deposited { get; set; }
        [Parameter("uint256", "remaining", 6)] public BigInteger Remaining { get; set; }
        [Parameter("uint256", "paidOut", 7)] public BigInteger PaidOut { get; set; }
        [Parameter("uint256", "refunded", 8)] public BigInteger Refunded { get; set; }

        public JobStatus Status => (JobStatus)StatusCode;
    }

    [Function("settlementUsed", "bool")]
    public sealed class SettlementUsedFunction : FunctionMessage
    {
        [Parameter("bytes32", "", 1)] public byte[] SettlementId { get; set; } = new byte[32];
    }

    [Function("withdrawable", "uint256")]
    public sealed class WithdrawableFunction : FunctionMessage
    {
        [Parameter("address", "", 1)] public string Account { get; set; } = "";
        [Parameter("address", "", 2)] public string Token { get; set; } = "";
    }

    [Event("Deposited")]
    public sealed class DepositedEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("address", "requester", 2, true)] public string Requester { get; set; } = "";
        [Parameter("address", "token", 3, true)] public string Token { get; set; } = "";
        [Parameter("uint256", "amount", 4, false)] public BigInteger Amount { get; set; }
        [Parameter("uint64", "deadline", 5, false)] public ulong Deadline { get; set; }
    }

    [Event("WorkerCredited")]
    public sealed class WorkerCreditedEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2, true)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("address", "worker", 3, true)] public string Worker { get; set; } = "";
        [Parameter("uint256", "amount", 4, false)] public BigInteger Amount { get; set; }
    }

    [Event("RoundPaid")]
    public sealed class RoundPaidEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2, true)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("uint256", "total", 3, false)] public BigInteger Total { get; set; }
        [Parameter("uint32", "accepted", 4, false)] public uint Accepted { get; set; }
        [Parameter("uint32", "judged", 5, false)] public uint Judged { get; set; }
    }

    [Event("JobCompleted")]
    public sealed class JobCompletedEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2, true)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("uint256", "refund", 3, false)] public BigInteger Refund { get; set; }
    }

    [Event("JobCancelled")]
    public sealed class JobCancelledEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("bytes32", "settlementId", 2, true)] public byte[] SettlementId { get; set; } = new byte[32];
        [Parameter("uint256", "refund", 3, false)] public BigInteger Refund { get; set; }
    }

    [Event("JobReclaimed")]
    public sealed class JobReclaimedEvent : IEventDTO
    {
        [Parameter("bytes32", "jobId", 1, true)] public byte[] JobId { get; set; } = new byte[32];
        [Parameter("address", "requester", 2, true)] public string Requester { get; set; } = "";
        [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
    }

    [Event("Withdrawn")]
    public sealed class WithdrawnEvent : IEventDTO
    {
        [Parameter("address", "account", 1, true)] public string Account { get; set; } = "";
        [Parameter("address", "token", 2, true)] public string Token { get; set; } = "";
        [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
    }

    [Event("TokenAllowedChanged")]
    public sealed class TokenAllowedChangedEvent : IEventDTO
    {
        [Parameter("address", "token", 1, true)] public string Token { get; set; } = "";
        [Parameter("bool", "allowed", 2, false)] public bool Allowed { get; set; }
    }

    [Error("TokenNotAllowed")]
    public sealed class TokenNotAllowedError
    {
        [Parameter("address", "token", 1)] public string Token { get; set; } = "";
    }

    [Error("EmptyPayout")] public sealed class EmptyPayoutError;
    [Error("JobAlreadyExists")]
    public sealed class JobAlreadyExistsError
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
    }

    [Error("JobNotOpen")]
    public sealed class JobNotOpenError
    {
        [Parameter("bytes32", "jobId", 1)] public byte[] JobId { get; set; } = new byte[32];
    }

    [Error("DeadlineInPast")]
    public sealed class DeadlineInPastError
    {
        [Parameter("uint64", "deadline", 1)] public ulong Deadline { get; set; }
    }

    [Error("ReclaimTooEarly")]
    public sealed class ReclaimTooEarlyError
    {
        [Parameter("uint64", "reclaimableAfter", 1)] public ulong ReclaimableAfter { get; set; }
    }

    [Error("NotRequester")]
    public sealed class NotRequesterError
    {
        [Parameter("address", "caller", 1)] public string Caller { get; set; } = "";
    }

    [Error("MatchRateTooLow")]
    public sealed class MatchRateTooLowError
    {
        [Parameter("uint32", "accepted", 1)] public uint Accepted { get; set; }
        [Parameter("uint32", "judged", 2)] public uint Judged { get; set; }
        [Parameter("uint16", "minimumBps", 3)] public ushort MinimumBps { get; set; }
    }

    [Error("InvalidRoundCounts")]
    public sealed class InvalidRoundCountsError
    {
        [Parameter("uint32", "accepted", 1)] public uint Accepted { get; set; }
        [Parameter("uint32", "judged", 2)] public uint Judged { get; set; }
    }

    [Error("MorePayeesThanAccepted")]
    public sealed class MorePayeesThanAcceptedError
    {
        [Parameter("uint256", "payees", 1)] public BigInteger Payees { get; set; }
        [Parameter("uint32", "accepted", 2)] public uint Accepted { get; set; }
    }

    [Error("SettlementIdUsed")]
    public sealed class SettlementIdUsedError
    {
        [Parameter("bytes32", "settlementId", 1)] public byte[] SettlementId { get; set; } = new byte[32];
    }

    [Error("LengthMismatch")]
    public sealed class LengthMismatchError
    {
        [Parameter("uint256", "workers", 1)] public BigInteger Workers { get; set; }
        [Parameter("uint256", "amounts", 2)] public BigInteger Amounts { get; set; }
    }

    [Error("InsufficientEscrow")]
    public sealed class InsufficientEscrowError
    {
        [Parameter("uint256", "requested", 1)] public BigInteger Requested { get; set; }
        [Parameter("uint256", "remaining", 2)] public BigInteger Remaining { get; set; }
    }
}

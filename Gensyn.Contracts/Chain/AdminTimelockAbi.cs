using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Contracts.Chain;

/// <summary>Typed messages mirroring contracts-sol/src/AdminTimelock.sol (OpenZeppelin's TimelockController; checked against its ABI by a test).</summary>
public static class AdminTimelockAbi
{
    public sealed class Deployment : ContractDeploymentMessage
    {
        public Deployment() : base(ContractArtifacts.AdminTimelock.Bytecode) { }
        [Parameter("uint256", "minDelay", 1)] public BigInteger MinDelay { get; set; }
        [Parameter("address[]", "proposers", 2)] public List<string> Proposers { get; set; } = [];
        [Parameter("address[]", "executors", 3)] public List<string> Executors { get; set; } = [];
    }

    [Function("schedule")]
    public sealed class ScheduleFunction : FunctionMessage
    {
        [Parameter("address", "target", 1)] public string Target { get; set; } = "";
        [Parameter("uint256", "value", 2)] public BigInteger Value { get; set; }
        [Parameter("bytes", "data", 3)] public byte[] Data { get; set; } = [];
        [Parameter("bytes32", "predecessor", 4)] public byte[] Predecessor { get; set; } = new byte[32];
        [Parameter("bytes32", "salt", 5)] public byte[] Salt { get; set; } = new byte[32];
        [Parameter("uint256", "delay", 6)] public BigInteger Delay { get; set; }
    }

    [Function("execute")]
    public sealed class ExecuteFunction : FunctionMessage
    {
        [Parameter("address", "target", 1)] public string Target { get; set; } = "";
        [Parameter("uint256", "value", 2)] public BigInteger Value { get; set; }
        [Parameter("bytes", "payload", 3)] public byte[] Payload { get; set; } = [];
        [Parameter("bytes32", "predecessor", 4)] public byte[] Predecessor { get; set; } = new byte[32];
        [Parameter("bytes32", "salt", 5)] public byte[] Salt { get; set; } = new byte[32];
    }

    [Function("getMinDelay", "uint256")] public sealed class GetMinDelayFunction : FunctionMessage;

    [Function("PROPOSER_ROLE", "bytes32")] public sealed class ProposerRoleFunction : FunctionMessage;

    [Event("CallScheduled")]
    public sealed class CallScheduledEvent : IEventDTO
    {
        [Parameter("bytes32", "id", 1, true)] public byte[] Id { get; set; } = new byte[32];
        [Parameter("uint256", "index", 2, true)] public BigInteger Index { get; set; }
        [Parameter("address", "target", 3, false)] public string Target { get; set; } = "";
        [Parameter("uint256", "value", 4, false)] public BigInteger Value { get; set; }
        [Parameter("bytes", "data", 5, false)] public byte[] Data { get; set; } = [];
        [Parameter("bytes32", "predecessor", 6, false)] public byte[] Predecessor { get; set; } = new byte[32];
        [Parameter("uint256", "delay", 7, false)] public BigInteger Delay { get; set; }
    }

    [Event("CallExecuted")]
    public sealed class CallExecutedEvent : IEventDTO
    {
        [Parameter("bytes32", "id", 1, true)] public byte[] Id { get; set; } = new byte[32];
        [Parameter("uint256", "index", 2, true)] public BigInteger Index { get; set; }
        [Parameter("address", "target", 3, false)] public string Target { get; set; } = "";
        [Parameter("uint256", "value", 4, false)] public BigInteger Value { get; set; }
        [Parameter("bytes", "data", 5, false)] public byte[] Data { get; set; } = [];
    }

    [Event("CallSalt")]
    public sealed class CallSaltEvent : IEventDTO
    {
        [Parameter("bytes32", "id", 1, true)] public byte[] Id { get; set; } = new byte[32];
        [Parameter("bytes32", "salt", 2, false)] public byte[] Salt { get; set; } = new byte[32];
    }

    [Event("Cancelled")]
    public sealed class CancelledEvent : IEventDTO
    {
        [Parameter("bytes32", "id", 1, true)] public byte[] Id { get; set; } = new byte[32];
    }

    [Event("MinDelayChange")]
    public sealed class MinDelayChangeEvent : IEventDTO
    {
        [Parameter("uint256", "oldDuration", 1, false)] public BigInteger OldDuration { get; set; }
        [Parameter("uint256", "newDuration", 2, false)] public BigInteger NewDuration { get; set; }
    }

    [Event("RoleGranted")]
    public sealed class RoleGrantedEvent : IEventDTO
    {
        [Parameter("bytes32", "role", 1, true)] public byte[] Role { get; set; } = new byte[32];
        [Parameter("address", "account", 2, true)] public string Account { get; set; } = "";
        [Parameter("address", "sender", 3, true)] public string Sender { get; set; } = "";
    }

    [Event("RoleRevoked")]
    public sealed class RoleRevokedEvent : IEventDTO
    {
        [Parameter("bytes32", "role", 1, true)] public byte[] Role { get; set; } = new byte[32];
        [Parameter("address", "account", 2, true)] public string Account { get; set; } = "";
        [Parameter("address", "sender", 3, true)] public string Sender { get; set; } = "";
    }

    [Event("RoleAdminChanged")]
    public sealed class RoleAdminChangedEvent : IEventDTO
    {
        [Parameter("bytes32", "role", 1, true)] public byte[] Role { get; set; } = new byte[32];
        [Parameter("bytes32", "previousAdminRole", 2, true)] public byte[] PreviousAdminRole { get; set; } = new byte[32];
        [Parameter("bytes32", "newAdminRole", 3, true)] public byte[] NewAdminRole { get; set; } = new byte[32];
    }

    [Error("AccessControlBadConfirmation")] public sealed class AccessControlBadConfirmationError;

    [Error("AccessControlUnauthorizedAccount")]
    public sealed class AccessControlUnauthorizedAccountError
    {
        [Parameter("address", "account", 1)] public string Account { get; set; } = "";
        [Parameter("bytes32", "neededRole", 2)] public byte[] NeededRole { get; set; } = new byte[32];
    }

    [Error("FailedCall")] public sealed class FailedCallError;

    [Error("TimelockInsufficientDelay")]
    public sealed class TimelockInsufficientDelayError
    {
        [Parameter("uint256", "delay", 1)] public BigInteger Delay { get; set; }
        [Parameter("uint256", "minDelay", 2)] public BigInteger MinDelay { get; set; }
    }

    [Error("TimelockInvalidOperationLength")]
    public sealed class TimelockInvalidOperationLengthError
    {
        [Parameter("uint256", "targets", 1)] public BigInteger Targets { get; set; }
        [Parameter("uint256", "payloads", 2)] public BigInteger Payloads { get; set; }
        [Parameter("uint256", "values", 3)] public BigInteger Values { get; set; }
    }

    [Error("TimelockUnauthorizedCaller")]
    public sealed class TimelockUnauthorizedCallerError
    {
        [Parameter("address", "caller", 1)] public string Caller { get; set; } = "";
    }

    [Error("TimelockUnexecutedPredecessor")]
    public sealed class TimelockUnexecutedPredecessorError
    {
        [Parameter("bytes32", "predecessorId", 1)] public byte[] PredecessorId { get; set; } = new byte[32];
    }

    [Error("TimelockUnexpectedOperationState")]
    public sealed class TimelockUnexpectedOperationStateError
    {
        [Parameter("bytes32", "operationId", 1)] public byte[] OperationId { get; set; } = new byte[32];
        [Parameter("bytes32", "expectedStates", 2)] public byte[] ExpectedStates { get; set; } = new byte[32];
    }
}

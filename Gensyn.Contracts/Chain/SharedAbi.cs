using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// Typed messages that JobEscrow and ProviderStaking share: what they inherit from OpenZeppelin (AccessControl,
/// Pausable, ReentrancyGuard, SafeERC20) and the project's common errors and settlement role. Checked against
/// both contracts' ABIs by a test.
/// </summary>
public static class SharedAbi
{
    [Function("pause")] public sealed class PauseFunction : FunctionMessage;

    [Function("unpause")] public sealed class UnpauseFunction : FunctionMessage;

    [Function("paused", "bool")] public sealed class PausedFunction : FunctionMessage;

    [Function("SETTLEMENT_ROLE", "bytes32")] public sealed class SettlementRoleFunction : FunctionMessage;

    [Function("hasRole", "bool")]
    public sealed class HasRoleFunction : FunctionMessage
    {
        [Parameter("bytes32", "role", 1)] public byte[] Role { get; set; } = new byte[32];
        [Parameter("address", "account", 2)] public string Account { get; set; } = "";
    }

    [Event("Paused")]
    public sealed class PausedEvent : IEventDTO
    {
        [Parameter("address", "account", 1, false)] public string Account { get; set; } = "";
    }

    [Event("Unpaused")]
    public sealed class UnpausedEvent : IEventDTO
    {
        [Parameter("address", "account", 1, false)] public string Account { get; set; } = "";
    }

    [Error("ZeroAmount")] public sealed class ZeroAmountError;

    [Error("ZeroAddress")] public sealed class ZeroAddressError;

    [Error("NothingToWithdraw")] public sealed class NothingToWithdrawError;

    [Error("EnforcedPause")] public sealed class EnforcedPauseError;

    [Error("AccessControlUnauthorizedAccount")]
    public sealed class AccessControlUnauthorizedAccountError
    {
        [Parameter("address", "account", 1)] public string Account { get; set; } = "";
        [Parameter("bytes32", "neededRole", 2)] public byte[] NeededRole { get; set; } = new byte[32];
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

    [Error("ExpectedPause")] public sealed class ExpectedPauseError;

    [Error("ReentrancyGuardReentrantCall")] public sealed class ReentrancyGuardReentrantCallError;

    [Error("SafeERC20FailedOperation")]
    public sealed class SafeErc20FailedOperationError
    {
        [Parameter("address", "token", 1)] public string Token { get; set; } = "";
    }
}

using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Contracts.Chain;

/// <summary>Typed messages mirroring contracts-sol/src/ProviderStaking.sol (checked against its ABI by a test).</summary>
public static class ProviderStakingAbi
{
    public sealed class Deployment : ContractDeploymentMessage
    {
        public Deployment() : base(ContractArtifacts.ProviderStaking.Bytecode) { }
        [Parameter("address", "token_", 1)] public string Token { get; set; } = "";
        [Parameter("address", "admin", 2)] public string Admin { get; set; } = "";
        [Parameter("address", "settlementAuthority", 3)] public string SettlementAuthority { get; set; } = "";
        [Parameter("address", "treasury_", 4)] public string Treasury { get; set; } = "";
        [Parameter("uint256", "minimumStake_", 5)] public BigInteger MinimumStake { get; set; }
        [Parameter("uint64", "unbondingDelay_", 6)] public ulong UnbondingDelay { get; set; }
    }

    [Function("stake")]
    public sealed class StakeFunction : FunctionMessage
    {
        [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
    }

    [Function("requestUnbond")]
    public sealed class RequestUnbondFunction : FunctionMessage
    {
        [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
    }

    [Function("withdrawUnbonded")] public sealed class WithdrawUnbondedFunction : FunctionMessage;

    [Function("slash")]
    public sealed class SlashFunction : FunctionMessage
    {
        [Parameter("address", "provider", 1)] public string Provider { get; set; } = "";
        [Parameter("uint256", "amount", 2)] public BigInteger Amount { get; set; }
        [Parameter("bytes32", "evidenceHash", 3)] public byte[] EvidenceHash { get; set; } = new byte[32];
        [Parameter("address", "requesterShareTo", 4)] public string RequesterShareTo { get; set; } = "";
        [Parameter("uint16", "requesterShareBps", 5)] public ushort RequesterShareBps { get; set; }
    }

    [Function("setMinimumStake")]
    public sealed class SetMinimumStakeFunction : FunctionMessage
    {
        [Parameter("uint256", "newMinimum", 1)] public BigInteger NewMinimum { get; set; }
    }

    [Function("minimumStake", "uint256")] public sealed class MinimumStakeFunction : FunctionMessage;
    [Function("treasury", "address")] public sealed class TreasuryFunction : FunctionMessage;
    [Function("unbondingDelay", "uint64")] public sealed class UnbondingDelayFunction : FunctionMessage;
    [Function("isRegistered", "bool")]
    public sealed class IsRegisteredFunction : FunctionMessage
    {
        [Parameter("address", "provider", 1)] public string Provider { get; set; } = "";
    }

    [Function("bondedStake", "uint256")]
    public sealed class BondedStakeFunction : FunctionMessage
    {
        [Parameter("address", "", 1)] public string Provider { get; set; } = "";
    }

    [Function("evidenceUsed", "bool")]
    public sealed class EvidenceUsedFunction : FunctionMessage
    {
        [Parameter("bytes32", "", 1)] public byte[] EvidenceHash { get; set; } = new byte[32];
    }

    [Function("unbondingStake", "uint256")]
    public sealed class UnbondingStakeFunction : FunctionMessage
    {
        [Parameter("address", "", 1)] public string Provider { get; set; } = "";
    }

    [Function("unbondingReleaseTime", "uint64")]
    public sealed class UnbondingReleaseTimeFunction : FunctionMessage
    {
        [Parameter("address", "", 1)] public string Provider { get; set; } = "";
    }

    [Function("grantRole")]
    public sealed class GrantRoleFunction : FunctionMessage
    {
        [Parameter("bytes32", "role", 1)] public byte[] Role { get; set; } = new byte[32];
        [Parameter("address", "account", 2)] public string Account { get; set; } = "";
    }

    [Event("Staked")]
    public sealed class StakedEvent : IEventDTO
    {
        [Parameter("address", "provider", 1, true)] public string Provider { get; set; } = "";
        [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
        [Parameter("uint256", "bondedStake", 3, false)] public BigInteger BondedStake { get; set; }
    }

    [Event("UnbondRequested")]
    public sealed class UnbondRequestedEvent : IEventDTO
    {
        [Parameter("address", "provider", 1, true)] public string Provider { get; set; } = "";
        [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
        [Parameter("uint256", "unbondingStake", 3, false)] public BigInteger UnbondingStake { get; set; }
        [Parameter("uint64", "releaseTime", 4, false)] public ulong ReleaseTime { get; set; }
    }

    [Event("UnbondedWithdrawn")]
    public sealed class UnbondedWithdrawnEvent : IEventDTO
    {
        [Parameter("address", "provider", 1, true)] public string Provider { get; set; } = "";
        [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
    }

    [Event("Slashed")]
    public sealed class SlashedEvent : IEventDTO
    {
        [Parameter("address", "provider", 1, true)] public string Provider { get; set; } = "";
        [Parameter("bytes32", "evidenceHash", 2, true)] public byte[] EvidenceHash { get; set; } = new byte[32];
        [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
        [Parameter("address", "requesterShareTo", 4, false)] public string RequesterShareTo { get; set; } = "";
        [Parameter("uint256", "requesterShare", 5, false)] public BigInteger RequesterShare { get; set; }
        [Parameter("uint256", "treasuryShare", 6, false)] public BigInteger TreasuryShare { get; set; }
    }

    [Event("MinimumStakeChanged")]
    public sealed class MinimumStakeChangedEvent : IEventDTO
    {
        [Parameter("uint256", "previousMinimum", 1, false)] public BigInteger PreviousMinimum { get; set; }
        [Parameter("uint256", "newMinimum", 2, false)] public BigInteger NewMinimum { get; set; }
    }

    [Error("InsufficientBondedStake")]
    public sealed class InsufficientBondedStakeError
    {
        [Parameter("uint256", "requested", 1)] public BigInteger Requested { get; set; }
        [Parameter("uint256", "bonded", 2)] public BigInteger Bonded { get; set; }
    }

    [Error("SlashExceedsStake")]
    public sealed class SlashExceedsStakeError
    {
        [Parameter("uint256", "requested", 1)] public BigInteger Requested { get; set; }
        [Parameter("uint256", "slashable", 2)] public BigInteger Slashable { get; set; }
    }

    [Error("UnbondingNotReady")]
    public sealed class UnbondingNotReadyError
    {
        [Parameter("uint64", "releaseTime", 1)] public ulong ReleaseTime { get; set; }
    }

    [Error("EvidenceUsed")]
    public sealed class EvidenceUsedError
    {
        [Parameter("bytes32", "evidenceHash", 1)] public byte[] EvidenceHash { get; set; } = new byte[32];
    }

    [Error("InvalidShareBps")]
    public sealed class InvalidShareBpsError
    {
        [Parameter("uint16", "bps", 1)] public ushort Bps { get; set; }
    }
}

using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Contracts.Chain;

/// <summary>Typed messages mirroring contracts-sol/src/GensynToken.sol (checked against its ABI by a test).</summary>
public static class GensynTokenAbi
{
    public sealed class Deployment : ContractDeploymentMessage
    {
        public Deployment() : base(ContractArtifacts.GensynToken.Bytecode) { }
        [Parameter("address", "initialOwner", 1)] public string InitialOwner { get; set; } = "";
    }

    [Function("mint")]
    public sealed class MintFunction : FunctionMessage
    {
        [Parameter("address", "to", 1)] public string To { get; set; } = "";
        [Parameter("uint256", "amount", 2)] public BigInteger Amount { get; set; }
    }

    [Function("approve", "bool")]
    public sealed class ApproveFunction : FunctionMessage
    {
        [Parameter("address", "spender", 1)] public string Spender { get; set; } = "";
        [Parameter("uint256", "value", 2)] public BigInteger Value { get; set; }
    }

    [Function("transfer", "bool")]
    public sealed class TransferFunction : FunctionMessage
    {
        [Parameter("address", "to", 1)] public string To { get; set; } = "";
        [Parameter("uint256", "value", 2)] public BigInteger Value { get; set; }
    }

    [Function("balanceOf", "uint256")]
    public sealed class BalanceOfFunction : FunctionMessage
    {
        [Parameter("address", "account", 1)] public string Account { get; set; } = "";
    }

    [Function("allowance", "uint256")]
    public sealed class AllowanceFunction : FunctionMessage
    {
        [Parameter("address", "owner", 1)] public string Owner { get; set; } = "";
        [Parameter("address", "spender", 2)] public string Spender { get; set; } = "";
    }

    [Function("decimals", "uint8")] public sealed class DecimalsFunction : FunctionMessage;
    [Function("symbol", "string")] public sealed class SymbolFunction : FunctionMessage;
    [Function("totalSupply", "uint256")] public sealed class TotalSupplyFunction : FunctionMessage;
    [Function("owner", "address")] public sealed class OwnerFunction : FunctionMessage;

    [Event("Transfer")]
    public sealed class TransferEvent : IEventDTO
    {
        [Parameter("address", "from", 1, true)] public string From { get; set; } = "";
        [Parameter("address", "to", 2, true)] public string To { get; set; } = "";
        [Parameter("uint256", "value", 3, false)] public BigInteger Value { get; set; }
    }

    [Error("OwnableUnauthorizedAccount")]
    public sealed class OwnableUnauthorizedAccountError
    {
        [Parameter("address", "account", 1)] public string Account { get; set; } = "";
    }

    [Error("ERC20InsufficientAllowance")]
    public sealed class Erc20InsufficientAllowanceError
    {
        [Parameter("address", "spender", 1)] public string Spender { get; set; } = "";
        [Parameter("uint256", "allowance", 2)] public BigInteger Allowance { get; set; }
        [Parameter("uint256", "needed", 3)] public BigInteger Needed { get; set; }
    }

    [Error("ERC20InsufficientBalance")]
    public sealed class Erc20InsufficientBalanceError
    {
        [Parameter("address", "sender", 1)] public string Sender { get; set; } = "";
        [Parameter("uint256", "balance", 2)] public BigInteger Balance { get; set; }
        [Parameter("uint256", "needed", 3)] public BigInteger Needed { get; set; }
    }

    [Event("Approval")]
    public sealed class ApprovalEvent : IEventDTO
    {
        [Parameter("address", "owner", 1, true)] public string Owner { get; set; } = "";
        [Parameter("address", "spender", 2, true)] public string Spender { get; set; } = "";
        [Parameter("uint256", "value", 3, false)] public BigInteger Value { get; set; }
    }

    [Event("OwnershipTransferred")]
    public sealed class OwnershipTransferredEvent : IEventDTO
    {
        [Parameter("address", "previousOwner", 1, true)] public string PreviousOwner { get; set; } = "";
        [Parameter("address", "newOwner", 2, true)] public string NewOwner { get; set; } = "";
    }

    [Error("ERC20InvalidApprover")]
    public sealed class Erc20InvalidApproverError
    {
        [Parameter("address", "approver", 1)] public string Approver { get; set; } = "";
    }

    [Error("ERC20InvalidReceiver")]
    public sealed class Erc20InvalidReceiverError
    {
        [Parameter("address", "receiver", 1)] public string Receiver { get; set; } = "";
    }

    [Error("ERC20InvalidSender")]
    public sealed class Erc20InvalidSenderError
    {
        [Parameter("address", "sender", 1)] public string Sender { get; set; } = "";
    }

    [Error("ERC20InvalidSpender")]
    public sealed class Erc20InvalidSpenderError
    {
        [Parameter("address", "spender", 1)] public string Spender { get; set; } = "";
    }

    [Error("OwnableInvalidOwner")]
    public sealed class OwnableInvalidOwnerError
    {
        [Parameter("address", "owner", 1)] public string Owner { get; set; } = "";
    }
}

/// <summary>The devnet's USDC stand-in (contracts-sol/src/MockUSDC.sol): deployed with this, used through <see cref="GensynTokenService"/> (the same ABI).</summary>
public static class MockUsdcAbi
{
    public sealed class Deployment : ContractDeploymentMessage
    {
        public Deployment() : base(ContractArtifacts.MockUsdc.Bytecode) { }
        [Parameter("address", "initialOwner", 1)] public string InitialOwner { get; set; } = "";
    }
}

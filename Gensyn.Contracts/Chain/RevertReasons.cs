using System.Globalization;
using System.Net.Sockets;
using System.Numerics;
using System.Text;
using Nethereum.ABI.ABIDeserialisation;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.Model;
using Nethereum.Contracts;
using Nethereum.JsonRpc.Client;

namespace Gensyn.Contracts.Chain;

/// <summary>
/// Turns any failure of a chain call into one line a person can act on: a custom error decoded against the
/// settlement contracts' ABIs (<c>JobEscrow.MatchRateTooLow(accepted: 18, judged: 20, minimumBps: 9500)</c>), a
/// <c>revert("…")</c> message, a mined revert, or <c>cannot reach the chain RPC: …</c>. <see cref="IsTransient"/>
/// says whether trying the same call again later may succeed.
/// </summary>
public static class RevertReasons
{
    private const string ErrorStringSelector = "08c379a0"; // Error(string), what revert("…") and require(…, "…") encode
    private const string PanicSelector = "4e487b71";       // Panic(uint256), what failed asserts and overflows encode

    /// <summary>One custom error: its ABI and the contracts (ContractArtifacts names) that declare it.</summary>
    private sealed record KnownError(ErrorABI Abi, IReadOnlyList<string> Contracts);

    private static readonly Lazy<IReadOnlyDictionary<string, KnownError>> Errors = new(LoadErrors);

    /// <summary>
    /// One line for <paramref name="e"/>. <paramref name="contract"/> (e.g. "JobEscrow") names the contract that
    /// was called: it settles which contract an error came from when several declare it (ZeroAmount, EnforcedPause…);
    /// without it such an error is shown without a contract name.
    /// </summary>
    public static string Describe(Exception e, string? contract = null)
    {
        foreach (var x in Chain(e))
        {
            switch (x)
            {
                case SmartContractCustomErrorRevertException custom:
                    return DescribeData(custom.ExceptionEncodedData, contract) ?? OneLine(custom.Message);
                case SmartContractCustomErrorRevertExceptionErrorDecoded decoded:
                    return DescribeData(decoded.ExceptionEncodedData, contract) ?? OneLine(decoded.Message);
                case SmartContractRevertException revert:
                    return DescribeData(revert.EncodedData, contract)
                        ?? OneLine(string.IsNullOrEmpty(revert.RevertMessage) ? revert.Message : $"reverted: {revert.RevertMessage}");
                case TransactionRevertedException reverted:
                    return reverted.Message;
                case RpcResponseException rpc:
                    return DescribeData(rpc.RpcError?.Data?.ToString(), contract)
                        ?? OneLine($"the chain RPC refused the call: {rpc.RpcError?.Message ?? rpc.Message}");
            }
        }
        if (Chain(e).Any(IsTransportFailure)) return $"cannot reach the chain RPC: {TransportMessage(e)}";
        return OneLine(e.Message);
    }

    /// <summary>
    /// True when the call failed on the way to or from the node (connection refused or reset, timeout, an HTTP
    /// error, an answer that is not JSON-RPC), so that the same call may succeed later; false for reverts and for
    /// errors the node reported about the call itself (a nonce too low, insufficient funds for gas).
    /// </summary>
    public static bool IsTransient(Exception e)
    {
        foreach (var x in Chain(e))
        {
            if (x is SmartContractCustomErrorRevertException or SmartContractCustomErrorRevertExceptionErrorDecoded
                or SmartContractRevertException or TransactionRevertedException or RpcResponseException)
                return false;
            if (IsTransportFailure(x)) return true;
        }
        return false;
    }

    /// <summary>
    /// True when the contract itself refused the call (a custom error, a revert message, a mined revert): sending it
    /// again would fail the same way. Anything else (the node, the connection) may be worth another try.
    /// </summary>
    public static bool IsRevert(Exception e) =>
        Chain(e).Any(x => x is SmartContractCustomErrorRevertException or SmartContractCustomErrorRevertExceptionErrorDecoded
            or SmartContractRevertException or TransactionRevertedException) || CustomErrorName(e) is not null;

    /// <summary>The name of the custom error <paramref name="e"/> reverted with (e.g. "ERC20InsufficientBalance"), or null.</summary>
    public static string? CustomErrorName(Exception e)
    {
        foreach (var x in Chain(e))
        {
            var data = x switch
            {
                SmartContractCustomErrorRevertException custom => custom.ExceptionEncodedData,
                SmartContractCustomErrorRevertExceptionErrorDecoded decoded => decoded.ExceptionEncodedData,
                SmartContractRevertException revert => revert.EncodedData,
                RpcResponseException rpc => rpc.RpcError?.Data?.ToString(),
                _ => null,
            };
            var hex = Hex(data);
            if (hex is not null && hex.Length >= 8 && Errors.Value.TryGetValue(hex[..8], out var known)) return known.Abi.Name;
        }
        return null;
    }

    /// <summary>Decodes revert data (0x, a 4-byte selector, ABI-encoded arguments); null when it is not revert data.</summary>
    public static string? DescribeData(string? data, string? contract = null)
    {
        var hex = Hex(data);
        if (hex is null || hex.Length < 8) return null;
        var selector = hex[..8];
        var arguments = hex[8..];
        try
        {
            if (selector == ErrorStringSelector)
                return $"reverted: {Decode(arguments, [new Parameter("string", "reason", 1)])[0].Result}";
            if (selector == PanicSelector)
                return $"panicked: {PanicReason((BigInteger)Decode(arguments, [new Parameter("uint256", "code", 1)])[0].Result)}";
            if (!Errors.Value.TryGetValue(selector, out var known))
                return $"reverted with an error this client does not know: 0x{hex}";
            var values = Decode(arguments, known.Abi.InputParameters);
            var text = $"{known.Abi.Name}({string.Join(", ", values.Select(v => $"{v.Parameter.Name}: {Format(v.Result)}"))})";
            var from = known.Contracts.Count == 1 ? known.Contracts[0]
                : contract is not null && known.Contracts.Contains(contract) ? contract
                : null;
            return from is null ? text : $"{from}.{text}";
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or IndexOutOfRangeException)
        {
            return $"reverted with data that does not decode: 0x{hex}";
        }
    }

    private static List<ParameterOutput> Decode(string hexArguments, Parameter[] parameters) =>
        parameters.Length == 0 ? [] : new ParameterDecoder().DecodeDefaultData("0x" + hexArguments, parameters);

    private static string Format(object? value) => value switch
    {
        null => "null",
        byte[] bytes => "0x" + Convert.ToHexStringLower(bytes),
        string text when text.StartsWith("0x", StringComparison.Ordinal) => text,
        string text => $"\"{text}\"",
        bool flag => flag ? "true" : "false",
        BigInteger number => number.ToString(CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list => $"[{string.Join(", ", list.Cast<object?>().Select(Format))}]",
        _ => value.ToString() ?? "",
    };

    private static string PanicReason(BigInteger code) => (int)code switch
    {
        0x01 => "0x01 (assertion failed)",
        0x11 => "0x11 (arithmetic overflow or underflow)",
        0x12 => "0x12 (division by zero)",
        0x21 => "0x21 (invalid enum value)",
        0x32 => "0x32 (array index out of bounds)",
        0x41 => "0x41 (out of memory)",
        _ => $"0x{code:x2}",
    };

    /// <summary>Lower-case hex without 0x, or null when <paramref name="data"/> is not 0x-prefixed hex.</summary>
    private static string? Hex(string? data)
    {
        var text = data?.Trim().Trim('"');
        if (text is null || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return null;
        var hex = text[2..].ToLowerInvariant();
        return hex.Length % 2 == 0 && hex.All(Uri.IsHexDigit) ? hex : null;
    }

    private static IReadOnlyDictionary<string, KnownError> LoadErrors()
    {
        var byName = new Dictionary<string, (ErrorABI Abi, List<string> Contracts)>();
        foreach (var contract in ContractArtifacts.Names)
        {
            foreach (var error in ABIDeserialiserFactory.DeserialiseContractABI(ContractArtifacts.Load(contract).AbiJson).Errors ?? [])
            {
                var selector = Selector(error);
                if (!byName.TryGetValue(selector, out var entry)) byName[selector] = entry = (error, []);
                entry.Contracts.Add(contract);
            }
        }
        return byName.ToDictionary(p => p.Key, p => new KnownError(p.Value.Abi, p.Value.Contracts));
    }

    private static string Selector(ErrorABI error)
    {
        var signature = error.Sha3Signature;
        return (signature.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? signature[2..] : signature)[..8].ToLowerInvariant();
    }

    /// <summary><paramref name="e"/> and every exception inside it (inner exceptions, an aggregate's members), outermost first.</summary>
    private static IEnumerable<Exception> Chain(Exception e)
    {
        var pending = new Queue<Exception>([e]);
        while (pending.Count > 0)
        {
            var x = pending.Dequeue();
            yield return x;
            if (x is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Enqueue(inner);
            else if (x.InnerException is not null)
                pending.Enqueue(x.InnerException);
        }
    }

    private static bool IsTransportFailure(Exception x) =>
        x is RpcClientUnknownException or RpcClientTimeoutException or RpcResponseFormatException or HttpRequestException
            or SocketException or TimeoutException or TaskCanceledException;

    /// <summary>The most telling message of a transport failure: the HTTP or socket error's, else the outermost's.</summary>
    private static string TransportMessage(Exception e)
    {
        var chain = Chain(e).ToList();
        var specific = chain.FirstOrDefault(x => x is HttpRequestException or SocketException)
            ?? chain.FirstOrDefault(x => x is RpcClientTimeoutException or TimeoutException or TaskCanceledException)
            ?? chain.First(IsTransportFailure);
        var message = specific is TaskCanceledException ? "the request timed out" : specific.Message;
        return OneLine(message);
    }

    private static string OneLine(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsControl(c) ? ' ' : c);
        return builder.ToString().Trim();
    }
}

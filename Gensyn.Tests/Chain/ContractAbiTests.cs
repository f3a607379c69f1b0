using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Gensyn.Contracts.Chain;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Gensyn.Tests.Chain;

/// <summary>The hand-written C# messages must match the compiled ABI, and the committed ABI must match the sources.</summary>
public sealed class ContractAbiTests
{
    public static TheoryData<string> Contracts => new(ContractArtifacts.Names);

    private static Type AbiClass(string contract) =>
        typeof(ContractArtifacts).Assembly.GetType($"Gensyn.Contracts.Chain.{contract}Abi")
        ?? throw new InvalidOperationException($"no {contract}Abi class");

    /// <summary>The C# messages mirroring a contract: its own class, plus <see cref="SharedAbi"/> for the two contracts that share it.</summary>
    private static IEnumerable<Type> Mirrors(string contract) =>
        AbiClass(contract).GetNestedTypes().Concat(contract is "JobEscrow" or "ProviderStaking" ? typeof(SharedAbi).GetNestedTypes() : []);

    private static IEnumerable<JsonElement> Entries(string contract, string kind)
    {
        using var doc = JsonDocument.Parse(ContractArtifacts.Load(contract).AbiJson);
        return doc.RootElement.EnumerateArray().Where(e => e.GetProperty("type").GetString() == kind)
            .Select(e => e.Clone()).ToList();
    }

    private static List<(string Type, bool Indexed)> Parameters(Type type) =>
        type.GetProperties()
            .Select(p => p.GetCustomAttribute<ParameterAttribute>())
            .Where(a => a is not null)
            .OrderBy(a => a!.Order)
            .Select(a => (a!.Type, a.Parameter.Indexed))
            .ToList();

    private static List<string> Types(JsonElement entry, string property) =>
        entry.TryGetProperty(property, out var list) ? list.EnumerateArray().Select(p => p.GetProperty("type").GetString()!).ToList() : [];

    private static string Describe(string name, IEnumerable<string> types) => $"{name}({string.Join(",", types)})";

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Every_function_message_matches_a_function_of_the_ABI(string contract)
    {
        var functions = Entries(contract, "function").ToList();
        var messages = Mirrors(contract).Where(t => t.GetCustomAttribute<FunctionAttribute>() is not null).ToList();
        Assert.NotEmpty(messages);
        foreach (var message in messages)
        {
            var attribute = message.GetCustomAttribute<FunctionAttribute>()!;
            var inputs = Parameters(message).Select(p => p.Type).ToList();
            var signature = Describe(attribute.Name, inputs);
            var match = functions.Where(f => Describe(f.GetProperty("name").GetString()!, Types(f, "inputs")) == signature).ToList();
            Assert.True(match.Count == 1, $"{contract}: {message.Name} is {signature}, which the ABI does not have");
            var outputs = Types(match[0], "outputs");
            var declared = attribute.DTOReturnType is not null ? Parameters(attribute.DTOReturnType).Select(p => p.Type).ToList()
                : attribute.ReturnType is not null ? [attribute.ReturnType] : new List<string>();
            Assert.True(outputs.SequenceEqual(declared),
                $"{contract}: {signature} returns ({string.Join(",", outputs)}) but {message.Name} declares ({string.Join(",", declared)})");
        }
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Every_event_and_error_of_the_ABI_is_mirrored_exactly(string contract)
    {
        foreach (var (kind, attributeType) in new[] { ("event", typeof(EventAttribute)), ("error", typeof(ErrorAttribute)) })
        {
            var mirrored = Mirrors(contract)
                .Select(t => (Type: t, Attribute: t.GetCustomAttribute(attributeType)))
                .Where(x => x.Attribute is not null)
                .ToDictionary(
                    x => x.Attribute is EventAttribute e ? e.Name : ((ErrorAttribute)x.Attribute!).Name,
                    x => x.Type);
            var entries = Entries(contract, kind).ToList();
            foreach (var entry in entries)
            {
                var name = entry.GetProperty("name").GetString()!;
                Assert.True(mirrored.TryGetValue(name, out var type), $"{contract}: the ABI's {kind} {name} has no C# class");
                var abiParams = entry.GetProperty("inputs").EnumerateArray()
                    .Select(p => (p.GetProperty("type").GetString()!, kind == "event" && p.GetProperty("indexed").GetBoolean()))
                    .ToList();
                var csParams = Parameters(type!).Select(p => (p.Type, kind == "event" && p.Indexed)).ToList();
                Assert.True(abiParams.SequenceEqual(csParams),
                    $"{contract}: {kind} {name} is ({string.Join(",", abiParams)}) in the ABI but ({string.Join(",", csParams)}) in {type!.Name}");
            }
            var stale = mirrored.Keys.Except(entries.Select(e => e.GetProperty("name").GetString()!)).ToList();
            Assert.True(stale.Count == 0, $"{contract}: C# mirrors {kind}s the ABI no longer has: {string.Join(", ", stale)}");
        }
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void The_deployment_message_matches_the_constructor(string contract)
    {
        var constructor = Entries(contract, "constructor").SingleOrDefault();
        var abi = constructor.ValueKind == JsonValueKind.Undefined ? [] : Types(constructor, "inputs");
        var deployment = AbiClass(contract).GetNestedTypes().Single(t => t.IsSubclassOf(typeof(ContractDeploymentMessage)));
        Assert.Equal(abi, Parameters(deployment).Select(p => p.Type).ToList());
        var message = (ContractDeploymentMessage)Activator.CreateInstance(deployment)!;
        Assert.StartsWith("0x", message.ByteCode);
        Assert.True(message.ByteCode.Length > 1_000, $"{contract}: the embedded bytecode is suspiciously short");
    }

    [Fact]
    public async Task The_committed_artifacts_match_the_Solidity_sources()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !Directory.Exists(Path.Combine(root.FullName, "contracts-sol"))) root = root.Parent;
        Assert.True(root is not null, "no contracts-sol/ folder above the test binaries");
        var dir = Path.Combine(root!.FullName, "contracts-sol");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "solc")),
            "solc-js is not installed: run contracts-sol/build.sh (scripts/test.sh does) before the tests");
        var psi = new ProcessStartInfo("node", "compile.js --check")
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var node = Process.Start(psi)!;
        var stderr = node.StandardError.ReadToEndAsync();
        var stdout = await node.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await node.WaitForExitAsync(limit.Token);
        Assert.True(node.ExitCode == 0, $"contracts-sol/out is stale or does not compile: {stdout}{await stderr}");
    }
}

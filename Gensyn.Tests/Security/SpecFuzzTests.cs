using System.Diagnostics;
using Gensyn.Contracts.Jobs;
using Gensyn.Tests.Cli;
using Gensyn.Tests.Security.Fuzzing;
using Xunit.Abstractions;

namespace Gensyn.Tests.Security;

/// <summary>
/// A seeded, time-bounded fuzzer over the job-spec parser that every process runs on specs from strangers (the CLI, the edge's quote and
/// submit, the coordinator, workers, verifiers). Each mutated spec must parse or be refused with a <see cref="JobSpecException"/> (whose
/// lines name the field): no other exception, no crash (a stack overflow would end this test process), no hang.
/// </summary>
public sealed class SpecFuzzTests(ITestOutputHelper output)
{
    /// <summary>How long the fuzzer runs; GENSYN_FUZZ_SECONDS overrides it (e.g. for a long run before a release).</summary>
    private static TimeSpan Budget => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("GENSYN_FUZZ_SECONDS"), out var s) ? s : 20);

    /// <summary>One input may take this long before it counts as a hang.</summary>
    private static readonly TimeSpan HangAfter = TimeSpan.FromSeconds(10);

    /// <summary>The specs mutations start from: the examples and the tests' small specs.</summary>
    internal static IReadOnlyList<string> Corpus()
    {
        var examples = Directory.GetFiles(Path.Combine(GensynProcess.RepositoryRoot, "examples"), "*.yaml").Select(File.ReadAllText);
        return [.. examples, TestSpecs.SyntheticYaml(), TestSpecs.SyntheticYaml(model: "{ kind: charlm, d-model: 16, layers: 1, heads: 2, context: 12 }")];
    }

    [Fact]
    public async Task Mutated_specs_are_parsed_or_refused_with_a_spec_error_and_never_crash_or_hang_the_parser()
    {
        var corpus = Corpus();
        var mutator = new Mutator(seed: 16);
        var baseDirectory = Path.GetTempPath();
        int tried = 0, accepted = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Budget)
        {
            var input = corpus[mutator.Random.Next(corpus.Count)];
            var rounds = 1 + mutator.Random.Next(3);
            for (var i = 0; i < rounds; i++) input = mutator.MutateText(input);
            tried++;
            var parse = Task.Run(() =>
            {
                try
                {
                    JobSpecParser.ParseSubmission(input, baseDirectory);
                    return (Accepted: true, Error: (Exception?)null);
                }
                catch (JobSpecException e)
                {
                    Assert.All(e.Errors, line => Assert.False(string.IsNullOrWhiteSpace(line), "a spec error line is empty"));
                    return (Accepted: false, Error: null);
                }
                catch (Exception e)
                {
                    return (Accepted: false, Error: e);
                }
            });
            var finished = await Task.WhenAny(parse, Task.Delay(HangAfter));
            Assert.True(finished == parse, $"input {tried} ({input.Length} chars) hung the parser for {HangAfter.TotalSeconds} s:\n{Head(input)}");
            var (ok, error) = await parse;
            Assert.True(error is null, $"input {tried} threw {error?.GetType().Name} instead of a spec error: {error?.Message}\n{Head(input)}");
            if (ok) accepted++; else refused++;
        }
        var rate = tried / clock.Elapsed.TotalSeconds;
        output.WriteLine($"spec fuzzer: {tried} inputs in {clock.Elapsed.TotalSeconds:0.0} s ({rate:0} per second): {accepted} parsed, {refused} refused with a spec error, 0 crashes, 0 hangs");
        Console.WriteLine($"spec fuzzer: {tried} inputs ({rate:0}/s), {accepted} parsed, {refused} refused");
        Assert.True(refused > 0 && tried > 100, $"the fuzzer tried only {tried} inputs ({refused} refused): it is not exercising the parser");
    }

    private static string Head(string input) => input.Length > 400 ? input[..400] + "…" : input;
}

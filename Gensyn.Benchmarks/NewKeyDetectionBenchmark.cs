using Gensyn.Actors.Verification;
using Gensyn.Contracts.Jobs;

namespace Gensyn.Benchmarks;

/// <summary>
/// How soon a new key that cheats is caught under the new-key ramp, for each shipped spot-check example with its own
/// k and H: per result 1..N of the key (every earlier one accepted), the steps challenged, the chance that result is
/// caught, and the chance the key was caught by then (<see cref="NewKeyDetection"/>, exact). Printed for a key that
/// fakes 25% of a result's steps (the `lazy` rehearsal) and 10%, with the ramp at
/// <c>gensyn.verification.new-key-samples</c> = <paramref name="newKeySamples"/> and without it (0).
/// </summary>
public static class NewKeyDetectionBenchmark
{
    public static void Run(string root, int newKeySamples = VerificationPolicy.DefaultNewKeySamples, int results = 8)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(root, "examples"), "*.yaml").Order())
        {
            var spec = JobSpecParser.Parse(File.ReadAllText(file), Path.GetDirectoryName(file)!);
            if (spec.Training is null || spec.Verification.Mode != VerificationMode.SpotCheck) continue;
            var (k, h) = (spec.Verification.Samples, spec.InnerSteps);
            foreach (var fraction in new[] { 0.25, 0.10 })
            {
                var faked = Math.Max(1, (int)Math.Round(fraction * h));
                var ramp = NewKeyDetection.Rows(k, newKeySamples, h, faked, results);
                var flat = NewKeyDetection.Rows(k, 0, h, faked, results);
                Console.WriteLine($"new key, {Path.GetFileName(file)} (k = {k}, H = {h}), faking {faked} steps " +
                                  $"({fraction:P0}) of every result: caught by result n, with the ramp " +
                                  $"(new-key-samples = {newKeySamples}) | without it");
                Console.WriteLine("| result n | steps challenged | caught on it | caught by then | " +
                                  "steps challenged (no ramp) | caught by then (no ramp) |");
                Console.WriteLine("|---|---|---|---|---|---|");
                for (var i = 0; i < results; i++)
                    Console.WriteLine($"| {ramp[i].Result} | {ramp[i].Samples} + 2 | {ramp[i].Detect:P1} " +
                                      $"| {ramp[i].CaughtWithin:P1} | {flat[i].Samples} + 2 " +
                                      $"| {flat[i].CaughtWithin:P1} |");
                Console.WriteLine();
            }
        }
    }
}

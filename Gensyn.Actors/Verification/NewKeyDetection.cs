using Gensyn.Training.Verification;

namespace Gensyn.Actors.Verification;

/// <summary>
/// The <paramref name="Result"/>-th result of a new key (counted from 1, every earlier one accepted): the
/// <paramref name="Samples"/> drawn for it, the chance <paramref name="Detect"/> that its challenge hits one of the
/// faked steps, and the chance <paramref name="CaughtWithin"/> that a key faking every result so far was caught on
/// one of them.
/// </summary>
public sealed record NewKeyDetectionRow(int Result, int Samples, double Detect, double CaughtWithin);

/// <summary>
/// How soon a new key that cheats is caught under the new-key ramp (<see cref="VerificationPolicy"/>): exact
/// hypergeometric figures for a training shard of H steps, where the first and last steps are always challenged and
/// k more are drawn among the H - 2 between them. The cheater is assumed to know this and to fake only steps between
/// the ends (faking an end is always caught), so the figures are the worst case.
/// </summary>
public static class NewKeyDetection
{
    /// <summary>
    /// The chance that one result whose <paramref name="faked"/> steps lie between the ends is caught.
    /// </summary>
    public static double Detect(int innerSteps, int faked, int samples) =>
        innerSteps <= 2
            ? (faked > 0 ? 1 : 0)
            : DetectionSimulation.Hypergeometric(innerSteps - 2, faked, Math.Min(samples, innerSteps - 2));

    /// <summary>
    /// One row per result 1..<paramref name="results"/> of a new key that fakes <paramref name="faked"/> steps in each.
    /// </summary>
    public static IReadOnlyList<NewKeyDetectionRow> Rows(int specSamples, int newKeySamples, int innerSteps, int faked,
        int results)
    {
        var rows = new List<NewKeyDetectionRow>(results);
        var missed = 1.0;
        for (var n = 1; n <= results; n++)
        {
            // Every earlier result was accepted (else the key was caught): n - 1 accepted, all in a row.
            var k = VerificationPolicy.Samples(specSamples, n - 1, n - 1, newKeySamples);
            var detect = Detect(innerSteps, faked, k);
            missed *= 1 - detect;
            rows.Add(new NewKeyDetectionRow(n, k, detect, 1 - missed));
        }
        return rows;
    }
}

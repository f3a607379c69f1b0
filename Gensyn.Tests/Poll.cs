namespace Gensyn.Tests;

/// <summary>
/// The one wait of tests that watch another node or process: ask again until the condition holds, and fail with
/// what was awaited once the limit passes. Never a fixed sleep: a fast machine goes on as soon as the condition holds.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="condition"/> holds; past <paramref name="limit"/> fails with
    /// <paramref name="failure"/>'s text.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan limit, Func<Task<string>> failure)
    {
        var giveUp = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > giveUp) Assert.Fail(await failure());
            await Task.Delay(Interval);
        }
    }

    public static Task Until(Func<Task<bool>> condition, TimeSpan limit, string what) =>
        Until(condition, limit, () => Task.FromResult($"gave up after {limit.TotalSeconds} s waiting for {what}"));

    public static Task Until(Func<bool> condition, TimeSpan limit, string what) =>
        Until(() => Task.FromResult(condition()), limit, what);
}

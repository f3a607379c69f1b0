using Gensyn.Contracts;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Jobs;

/// <summary>How <see cref="ListJobs"/> pages through the catalog: job ids in ordinal order, a page token being the last id of a page.</summary>
public static class JobPages
{
    /// <summary>The ids of the page after <paramref name="after"/> (at most <paramref name="size"/>), and the next page's token (null: none).</summary>
    public static (IReadOnlyList<JobId> Page, string? Next) Page(IEnumerable<JobId> ids, string? after, int size)
    {
        var rest = ids.Where(id => after is null || string.CompareOrdinal(id, after) > 0).Order().ToList();
        var page = rest.Take(Math.Max(1, size)).ToList();
        return (page, rest.Count > page.Count ? page[^1] : null);
    }

    /// <summary>Whether <paramref name="view"/> belongs to <paramref name="owner"/> (any job when <paramref name="owner"/> is null).</summary>
    public static bool Owns(JobView view, string? owner) =>
        owner is null || (view.Owner is { } o && string.Equals(o, owner, StringComparison.OrdinalIgnoreCase));
}

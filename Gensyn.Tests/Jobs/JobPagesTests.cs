using Gensyn.Actors.Jobs;
using Gensyn.Contracts;

namespace Gensyn.Tests.Jobs;

public class JobPagesTests
{
    private static readonly JobId[] Ids = [.. new[] { "job-c", "job-a", "job-e", "job-b", "job-d" }.Select(id => (JobId)id)];

    [Fact]
    public void Pages_walk_the_ids_in_ordinal_order_and_the_last_page_has_no_token()
    {
        var (first, next) = JobPages.Page(Ids, null, 2);
        Assert.Equal(["job-a", "job-b"], first.Select(id => id.Value));
        Assert.Equal("job-b", next);
        var (second, after) = JobPages.Page(Ids, next, 2);
        Assert.Equal(["job-c", "job-d"], second.Select(id => id.Value));
        var (last, none) = JobPages.Page(Ids, after, 2);
        Assert.Equal(["job-e"], last.Select(id => id.Value));
        Assert.Null(none);
    }

    [Fact]
    public void A_page_never_holds_more_than_its_size_and_a_token_past_the_end_gives_an_empty_last_page()
    {
        Assert.Single(JobPages.Page(Ids, null, 0).Page);
        var (page, next) = JobPages.Page(Ids, "zzz", 10);
        Assert.Empty(page);
        Assert.Null(next);
    }
}

using Akka.Actor;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Edge;
using Gensyn.Edge.Dashboard;
using Gensyn.Node.Cli;

namespace Gensyn.Node.Market;

/// <summary>
/// The dashboard's quote page: the same <see cref="JobQuote"/> `gensyn quote --json` prints, for a spec pasted in a
/// browser. Such a spec cannot name files on the requester's machine (data files, a TorchScript module, inference
/// weights): those are quoted with `gensyn quote FILE`, which packs and uploads them. MNIST is named by this
/// coordinator's manifest, as the CLI names it.
/// </summary>
public static class DashboardQuotes
{
    public static readonly QuoteReport Report = QuoteAsync;

    public static async Task<string> QuoteAsync(string yaml, EdgeContext edge, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(yaml))
            throw new DashboardInputException("paste a job spec (YAML) or upload one, then press Quote");
        var spec = JobSpecParser.ParseSubmission(yaml, Path.Combine(Path.GetTempPath(), "gensyn-dashboard-quote"));
        if (SpecDataset.IsFiles(spec.Dataset) || spec.Inference is not null
            || spec.Model is { Kind: ModelKind.TorchScript, Module: not null })
            throw new DashboardInputException("this spec names files on your machine (data, a model or weights); " +
                                              "quote it there with `gensyn quote FILE`, which packs and uploads them");
        if (spec.Dataset is { Manifest: null, Format: DatasetFormat.Mnist })
        {
            var packed = await edge.Datasets.PackedAsync(spec.Dataset.Name ?? "mnist")
                .WaitAsync(SpecDataset.BuiltInTimeout, cancel);
            yaml = SpecDataset.WithDataset(yaml, SpecDataset.Section(spec.Dataset, packed.Digest));
        }
        var answer = await edge.Gateway.Ask<IGensynMessage>(new QuoteJob(yaml, ""), EdgeContext.AskTimeout, cancel);
        return answer switch
        {
            JobPrice price => ClusterCli.JsonOf(JobQuote.Of(spec, price, CloudPrices.Shipped)),
            JobRejected rejected => throw new DashboardInputException(string.Join("; ", rejected.Errors)),
            RequestFailed { InvalidInput: true } failed => throw new DashboardInputException(failed.Message),
            RequestFailed failed => throw new TimeoutException(failed.Message),
            _ => throw new TimeoutException($"the cluster answered {answer.GetType().Name}"),
        };
    }
}

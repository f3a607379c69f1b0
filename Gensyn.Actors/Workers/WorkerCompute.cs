using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Jobs;
using Gensyn.Contracts.Messages;
using Gensyn.Contracts.Signing;
using Gensyn.Training.Data;
using Gensyn.Training.Data.Packed;
using Gensyn.Training.Inference;
using Gensyn.Training.Training;

namespace Gensyn.Actors.Workers;

/// <summary>
/// What the pieces of one worker share: its options, key, link and blob store, the training thread, and the job
/// sessions kept while consecutive shards belong to the same job. The <see cref="WorkerActor"/> owns and disposes it.
/// </summary>
public sealed class WorkerCompute : IDisposable
{
    private readonly JobSessionCache<TrainingSession> _training = new();
    private readonly JobSessionCache<InferenceSession> _inference = new();
    private readonly JobSessionCache<TrainingSession> _opening = new();

    public WorkerCompute(WorkerOptions options, ICoordinatorLink link)
    {
        Options = options;
        Link = link;
        Store = new BlobStore(Path.Combine(options.DataDirectory, "blobs"));
        Key = WorkerKey.LoadOrCreate(options.KeyFile);
        Data = new DataSource(options.DataDirectory,
            PackedSource.Cached(options.DataDirectory, options.Datasets, new LinkChunkSource(link, () => Running, () => DataFetched?.Invoke())));
    }

    public WorkerOptions Options { get; }
    public ICoordinatorLink Link { get; }
    public BlobStore Store { get; }
    public WorkerKey Key { get; }
    public TrainingThread Thread { get; } = new("worker-training");

    /// <summary>
    /// Where challenged states are rebuilt: a thread of its own, so that opening a committed shard never waits for the
    /// next shard's training, nor touches its session.
    /// </summary>
    public TrainingThread OpeningThread { get; } = new("worker-opening");

    /// <summary>
    /// Where the worker's jobs read their data: a packed dataset's chunks through the link, behind DATA_DIR/cache (its
    /// counters: <see cref="PackedSource.Cache"/>).
    /// </summary>
    public DataSource Data { get; }

    /// <summary>The running shard's cancellation: a chunk fetch on the training thread stops with it.</summary>
    public CancellationToken Running { get; set; }

    /// <summary>Called on the training thread after each chunk of packed data fetched over the link: the running
    /// shard reports it, so that a worker filling its data cache is not taken for stalled.</summary>
    public Action? DataFetched { get; set; }

    /// <summary>
    /// The spec an assignment names: the one this process has read, else its YAML fetched through the link as a blob,
    /// hash checked and parsed once. Throws a one-line <see cref="JobSpecException"/> when the blob cannot be had or
    /// is not the spec named; the shard is then not run.
    /// </summary>
    public async Task<JobSpec> SpecAsync(SpecRef spec, CancellationToken cancel) =>
        await WorkerModules.EnsureAsync(await ReadSpecAsync(spec, cancel), Link, cancel);

    private async Task<JobSpec> ReadSpecAsync(SpecRef spec, CancellationToken cancel)
    {
        if (JobSpecs.Shared.TryGet(spec) is { } kept) return kept;
        byte[] bytes;
        try
        {
            bytes = await Link.FetchAsync(spec.Hash, cancel);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            var why = e.GetBaseException().Message.ReplaceLineEndings(" ");
            throw new JobSpecException($"spec blob {spec} could not be fetched: {why}; the shard was not run");
        }
        try
        {
            return JobSpecs.Shared.Get(spec, SpecBlobs.Text(spec, bytes));
        }
        catch (JobSpecException e)
        {
            throw new JobSpecException($"{e.Message.ReplaceLineEndings("; ")}; the shard was not run");
        }
    }

    /// <summary>The job's training session and the size of its training set (call on <see cref="Thread"/>).</summary>
    public (TrainingSession Session, long TrainCount) TrainingSession(ShardAssignment a, JobSpec spec)
    {
        var (session, data) = _training.Get(SpecRef.SessionKey(a.Spec, a.BaseDirectory), () => spec,
            Data,
            (s, d) => new TrainingSession(s, d, Options.Compute));
        return (session, data.Train.Count);
    }

    /// <summary>
    /// The job's session for rebuilding committed states (call on <see cref="OpeningThread"/>): another session over
    /// the same spec and data, so the training session's model and optimizer are never disturbed mid-shard. Replays are
    /// bit-identical in any session of the job.
    /// </summary>
    public TrainingSession OpeningSession(ShardAssignment a, JobSpec spec) =>
        _opening.Get(SpecRef.SessionKey(a.Spec, a.BaseDirectory), () => spec, Data,
            (s, d) => new TrainingSession(s, d, Options.Compute)).Session;

    /// <summary>
    /// Readies the job's opening session on <see cref="OpeningThread"/> while its shard trains, so that the first
    /// challenge does not wait for a session and its data; a failure here only means the opening makes its own.
    /// </summary>
    public void PrepareOpening(ShardAssignment a, JobSpec spec) =>
        OpeningThread.Run(() => OpeningSession(a, spec)).ContinueWith(t => t.Exception?.Handle(_ => true),
            TaskContinuationOptions.OnlyOnFaulted);

    /// <summary>An inference job's model and items (call on <see cref="Thread"/>).</summary>
    public InferenceSession InferenceSession(ShardAssignment a, JobSpec spec) =>
        _inference.Get(SpecRef.SessionKey(a.Spec, a.BaseDirectory), () => spec, Data,
            (s, data) => new InferenceSession(s, data, Options.Compute)).Session;

    public void Dispose()
    {
        Thread.Dispose();
        OpeningThread.Dispose();
        _training.Dispose();
        _opening.Dispose();
        _inference.Dispose();
    }
}

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// A validated job: what to train (or, for <see cref="JobKind.Inference"/>, which trained model to run), on which data,
/// how, how it is verified, and what it may cost. Built only by <see cref="JobSpecParser"/>, so every instance
/// satisfies its rules. Each kind has its own section: a training job has <see cref="Training"/> (its schedule and
/// optimizers) and no <see cref="Inference"/>; an inference job has <see cref="Inference"/> and no
/// <see cref="Training"/>, and runs one round whose shards split the dataset's test split. What both kinds have
/// (<see cref="Rounds"/>, <see cref="Shards"/>, <see cref="InnerSteps"/>, <see cref="BatchSize"/>,
/// <see cref="Threads"/>) is read through the accessors here, which answer from the kind's own section; code that
/// only a training job reaches reads its section with <see cref="RequireTraining"/>.
/// </summary>
public sealed record JobSpec(
    string Name,
    ModelSpec Model,
    DatasetSpec Dataset,
    TrainingSpec? Training,
    VerificationSpec Verification,
    RequirementsSpec Requirements,
    BudgetSpec Budget,
    JobKind Kind = JobKind.Train,
    InferenceSpec? Inference = null)
{
    public bool IsInference => Kind == JobKind.Inference;

    /// <summary>The rounds the job runs: training.rounds, or the one round of an inference job.</summary>
    public int Rounds => Inference is null ? RequireTraining().Rounds : 1;

    /// <summary>The shards of each round: training.shards or inference.shards.</summary>
    public int Shards => Inference?.Shards ?? RequireTraining().Shards;

    /// <summary>
    /// The steps each shard runs in a round, as the job's view shows them: training.inner-steps (H). An inference
    /// shard runs once over its share of batches, counted only when the data is loaded (its round's start records
    /// them), and keeps no checkpoints; its job counts 1 here.
    /// </summary>
    public int InnerSteps => Inference is null ? RequireTraining().InnerSteps : 1;

    /// <summary>The items of one batch: training.batch-size or inference.batch-size.</summary>
    public int BatchSize => Inference?.BatchSize ?? RequireTraining().BatchSize;

    /// <summary>The threads a worker computes on: training.threads or inference.threads.</summary>
    public int Threads => Inference?.Threads ?? RequireTraining().Threads;

    /// <summary>The training section, for code that only a training job reaches (its sessions, tasks and
    /// coordinator).</summary>
    /// <exception cref="InvalidOperationException">The job is not a training job.</exception>
    public TrainingSpec RequireTraining() => Training ?? throw new InvalidOperationException(
        $"job {Name} is of kind {Kind.ToString().ToLowerInvariant()} and has no training section; " +
        "only its kind's own code may read it");

    /// <summary>How many workers run each shard: 2 in replicated mode, else 1.</summary>
    public int Replicas => Verification.Mode == VerificationMode.Replicated ? 2 : 1;

    /// <summary>Shard results the job pays for when every one is accepted: rounds x shards x replicas.</summary>
    public long Results => (long)Rounds * Shards * Replicas;

    /// <summary>What the requester deposits in escrow: the budget's max-total; what is not paid out is refunded.</summary>
    public long DepositMicros => Chain.Gens.ToMicros(Budget.MaxTotal);
}

/// <summary>
/// The model family and its size. Fields that do not apply to <see cref="Kind"/> keep their defaults. A
/// <see cref="ModelKind.TorchScript"/> model names its module in <see cref="Module"/>: the file's absolute path in a
/// spec read on the requester's machine (<c>path:</c>), or <c>sha256:&lt;hex&gt;</c>, the blob the CLI uploaded, in a
/// network spec (<c>module:</c>); <see cref="Loss"/> is what it is trained to minimise.
/// </summary>
public sealed record ModelSpec(
    ModelKind Kind,
    IReadOnlyList<int> Hidden,      // mlp: hidden layer widths
    IReadOnlyList<int> Channels,    // cnn: conv channels per block
    int DModel,                     // charlm
    int Layers,                     // charlm
    int Heads,                      // charlm
    int Context,                    // charlm: sequence length in bytes
    string? Module = null,          // torchscript: path here, sha256:<hex> on the network
    ModelLoss Loss = ModelLoss.CrossEntropy);

public enum ModelKind { Mlp, Cnn, CharLm, TorchScript }

/// <summary>What a model is trained to minimise: cross-entropy over its logits, or the mean squared error against the
/// one-hot label (or, for a single output, the label's value).</summary>
public enum ModelLoss { CrossEntropy, Mse }

/// <summary>A job trains a model (DiLoCo rounds), or runs a trained one over a dataset.</summary>
public enum JobKind { Train, Inference }

/// <summary>
/// An inference job: the trained parameters in <see cref="Weights"/> (a safetensors file as `gensyn train --out` or
/// `gensyn result --out` writes it, absolute), run over the dataset's test split in <see cref="Shards"/> contiguous
/// shards of fixed batches of <see cref="BatchSize"/> items on <see cref="Threads"/> threads.
/// </summary>
public sealed record InferenceSpec(string Weights, int Shards, int BatchSize, int Threads);

/// <summary>
/// Where the data comes from. <see cref="Name"/> names a built-in dataset (mnist, synthetic);
/// otherwise <see cref="Format"/> says how to read the files. Paths are absolute (resolved against the spec's folder).
/// <see cref="Manifest"/>, when set (<c>manifest: sha256:&lt;hex&gt;</c>), names the packed dataset the examples are read
/// from instead of any file: its chunks travel as blobs (docs/concepts/datasets.md), and <see cref="Format"/> still says
/// whether they are labelled examples or text.
/// </summary>
public sealed record DatasetSpec(
    string? Name,
    DatasetFormat Format,
    string? TrainImages,
    string? TrainLabels,
    string? TestImages,
    string? TestLabels,
    string? TrainCsv,
    string? TestCsv,
    int LabelColumn,
    IReadOnlyList<string> TextPaths,
    string TextInclude,             // glob for files found under directories in TextPaths, e.g. "*.cs"
    double TestFraction,
    int SyntheticSamples,
    int SyntheticFeatures,
    int SyntheticClasses,
    string? Manifest = null);

public enum DatasetFormat { Mnist, Idx, Csv, Text, Synthetic }

/// <summary>
/// A training job's section: the DiLoCo schedule and optimizers. <see cref="InnerSteps"/> is H;
/// <see cref="CheckpointEvery"/> is C. <see cref="CommitEvery"/> is c: a shard commits the states after local steps 0, c,
/// 2c, ..., H (1 for a spec built in code; the parser applies <see cref="DefaultCommitEvery"/>). <see cref="EvalEvery"/>: the coordinator evaluates the new global state on the
/// test split after every so many rounds, and always after the last (<see cref="DefaultEvalEvery"/> when the spec does
/// not say: evaluating MNIST's test split costs a CNN's coordinator about a third of a round's training CPU).
/// </summary>
public sealed record TrainingSpec(
    int Rounds,
    int Shards,
    int InnerSteps,
    int BatchSize,
    long Seed,
    int Threads,
    int CheckpointEvery,
    InnerOptimizerSpec InnerOptimizer,
    OuterOptimizerSpec OuterOptimizer,
    int EvalEvery = TrainingSpec.DefaultEvalEvery,
    int CommitEvery = 1,
    OuterCompressionSpec? OuterCompressionField = null)
{
    public const int DefaultEvalEvery = 4;

    /// <summary>
    /// c when a spec does not say (see <see cref="DefaultCommitEveryFor"/>): committing a state costs the trainer a
    /// copy and a hash of it, so every shipped example commits at most 2% of its training time (docs/benchmarks.md,
    /// "Commitments every c steps").
    /// </summary>
    public const int DefaultCommitEvery = 25;

    /// <summary>
    /// The default c of a shard of <paramref name="innerSteps"/> steps checkpointed every
    /// <paramref name="checkpointEvery"/>: <see cref="DefaultCommitEvery"/> clipped to H, and, while checkpoints fall
    /// inside the shard, the largest divisor of checkpoint-every up to it (every checkpoint is a committed state).
    /// </summary>
    public static int DefaultCommitEveryFor(int innerSteps, int checkpointEvery)
    {
        var c = Math.Clamp(DefaultCommitEvery, 1, Math.Max(1, innerSteps));
        return checkpointEvery < innerSteps
            ? Enumerable.Range(1, Math.Min(c, checkpointEvery)).Last(d => checkpointEvery % d == 0)
            : c;
    }

    /// <summary>How the outer step's pseudo-gradients and updates travel (int8 when the spec does not say).</summary>
    public OuterCompressionSpec OuterCompression => OuterCompressionField ?? OuterCompressionSpec.Default;

    /// <summary>Whether round <paramref name="round"/>'s (0-based) new global state is evaluated on the test
    /// split.</summary>
    public bool EvaluatesRound(int round) => (round + 1) % EvalEvery == 0 || round == Rounds - 1;
}

public enum InnerOptimizerKind { Sgd, AdamW }

public sealed record InnerOptimizerSpec(
    InnerOptimizerKind Kind,
    double LearningRate,
    double Momentum,
    double WeightDecay,
    double Beta1,
    double Beta2,
    double Epsilon);

public sealed record OuterOptimizerSpec(double LearningRate, double Momentum);

public enum OuterCompressionKind { None, Fp16, Int8 }

/// <summary>
/// <c>training.outer-compression</c> and <c>training.outer-topk</c>: the codec of the outer step's pseudo-gradients
/// (and of the global update), and the fraction of each tensor's entries a shard's pseudo-gradient keeps (0: all;
/// otherwise the largest, with error feedback carrying the rest to the shard's next round).
/// </summary>
public sealed record OuterCompressionSpec(OuterCompressionKind Kind, double TopK)
{
    public static readonly OuterCompressionSpec Default = new(OuterCompressionKind.Int8, 0);
}

public enum VerificationMode { SpotCheck, Replicated }

/// <summary>
/// How results are verified. <see cref="Samples"/> is k, the steps a spot-check replays per shard result (fewer for
/// workers with a long honest record, never none): the default 44 catches a worker that fakes 10% of its steps
/// with probability 1 − 0.9^44 ≥ 99% per result; a smaller k costs proportionally less verifier time.
/// </summary>
public sealed record VerificationSpec(VerificationMode Mode, int Samples)
{
    public const int DefaultSamples = 44;

    /// <summary>Every challenged step opens about two leaves; this keeps a challenge's answer well inside one message.</summary>
    public const int MaxSamples = 64;
}

public enum DeviceRequirement { Any, Cpu, Cuda }

/// <summary>What a worker must offer: a device, memory, and bandwidth from the coordinators (a CUDA job also needs the network's GPU minimums).</summary>
public sealed record RequirementsSpec(DeviceRequirement Device, double MinMemoryGb, double MinBandwidthMbps = 0);

/// <summary>
/// What the job may cost. The requester deposits <see cref="MaxTotal"/> GENS in escrow; the job pays the network's
/// clearing price per compute-hour, locked when it starts and never above <see cref="MaxPricePerHour"/>; each accepted
/// shard result is paid per round, and the rest is refunded.
/// </summary>
public sealed record BudgetSpec(string Token, double MaxPricePerHour, double MaxTotal);

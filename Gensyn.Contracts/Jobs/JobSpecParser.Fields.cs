namespace Gensyn.Contracts.Jobs;

/// <summary>The fields of each section of a spec, read and checked (the reader of one mapping is <see cref="JobSpecParser"/>'s Section).</summary>
public static partial class JobSpecParser
{
    private static InferenceSpec ReadInference(Section i, string? baseDirectory)
    {
        var weights = baseDirectory is null ? i.BlobHash("weights", required: true) : i.FilePath("weights", baseDirectory, required: true);
        var shards = i.Int("shards", 1, 1, 1024);
        var batchSize = i.Int("batch-size", 256, 1, 65536);
        var threads = i.Int("threads", 1, 1, 256);
        i.Finish();
        return new InferenceSpec(weights ?? "", shards, batchSize, threads);
    }

    private static void CheckInference(ModelKind? model, VerificationSpec verification, List<string> errors)
    {
        if (model == ModelKind.CharLm)
            errors.Add("model.kind: inference jobs run classifiers (mlp, cnn or torchscript), got charlm");
        if (verification.Mode == VerificationMode.Replicated)
            errors.Add("verification.mode: inference jobs are verified by spot-checks (recomputing sampled batches); use spot-check");
    }

    private static string ReadName(Section top)
    {
        var name = top.Text("name", required: true);
        if (name is null)
        {
            return "";
        }

        if (name.Length is 0 or > 64)
        {
            top.Fail("name", $"must be 1 to 64 characters, got {name.Length}");
        }
        else if (name[0] == '-' || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            top.Fail("name", $"must use only a-z, 0-9 and '-', starting with a letter or digit, got '{name}'");
        }

        return name;
    }

    private static ModelSpec ReadModel(Section m, string? baseDirectory, out ModelKind? kind)
    {
        var known = kind = m.Choice("kind", ModelKinds, required: true);

        // A field for another kind is a mistake worth reporting; with no valid kind we cannot tell, so skip it.
        bool For(string key, ModelKind only) =>
            m.Applies(key, known is null ? null : known == only, $"kind {NameOf(ModelKinds, only)}");

        var hidden = For("hidden", ModelKind.Mlp) ? m.Integers("hidden", 1, 65536, 1, 8) : null;
        var channels = For("channels", ModelKind.Cnn) ? m.Integers("channels", 1, 1024, 1, 4) : null;
        var dModel = For("d-model", ModelKind.CharLm) ? m.Int("d-model", 128, 8, 4096) : 128;
        var layers = For("layers", ModelKind.CharLm) ? m.Int("layers", 2, 1, 48) : 2;
        var heads = For("heads", ModelKind.CharLm) ? m.Int("heads", 4, 1, 64) : 4;
        var context = For("context", ModelKind.CharLm) ? m.Int("context", 64, 2, 4096) : 64;
        if (m.Ok("d-model", "heads") && dModel % heads != 0)
        {
            m.Fail("d-model", $"must be divisible by {m.PathOf("heads")} ({heads}), got {dModel}");
        }

        var (module, loss) = ReadModule(m, baseDirectory, known);
        m.Finish();
        return new ModelSpec(kind ?? ModelKind.Mlp, hidden ?? DefaultHidden, channels ?? DefaultChannels, dModel,
                             layers, heads, context, module, loss);
    }

    /// <summary>
    /// A torchscript model's module and loss: on the requester's machine <c>path:</c> names the file (resolved against the
    /// spec's folder); on the network <c>module: sha256:&lt;hex&gt;</c> names the blob `gensyn submit` uploaded from it.
    /// </summary>
    private static (string? Module, ModelLoss Loss) ReadModule(Section m, string? baseDirectory, ModelKind? known)
    {
        bool? torchScript = known is null ? null : known == ModelKind.TorchScript;
        string? module = null;
        var network = baseDirectory is null;
        if (m.Applies(network ? "module" : "path", torchScript, "kind torchscript"))
        {
            module = network ? m.BlobHash("module", required: true) : m.FilePath("path", baseDirectory, required: true);
        }

        var other = network ? "path" : "module";
        if (m.Has(other))
        {
            m.Skip(other);
            m.Fail(other, network
                ? "on the network a module is named by its hash (module: sha256:<hex>); " +
                  "`gensyn submit` uploads the file path names"
                : "name the module's file with path: net.pt; module: sha256:<hex> is what the network reads");
        }

        var loss = m.Applies("loss", torchScript, "kind torchscript")
            ? m.Choice("loss", ModelLosses) ?? ModelLoss.CrossEntropy
            : ModelLoss.CrossEntropy;
        return (module, loss);
    }

    private static DatasetSpec ReadDataset(Section d, string? baseDirectory, out DatasetFormat? format)
    {
        var builtIn = d.Choice("name", BuiltInDatasets);
        var fileFormat = d.Choice("format", FileFormats);
        var both = d.Has("name") && d.Has("format");
        if (both)
        {
            d.FailSection("give either name (mnist, synthetic) or format (idx, csv, text), not both");
        }
        else if (!d.Has("name") && !d.Has("format"))
        {
            d.FailSection("needs name (mnist, synthetic) or format (idx, csv, text)");
        }

        var known = format = both ? null : builtIn ?? fileFormat;

        bool For(string key, string onlyFor, params DatasetFormat[] formats) =>
            d.Applies(key, known is null ? null : formats.Contains(known.Value), onlyFor);

        const string synthetic = "dataset name synthetic";
        var samples = For("samples", synthetic, DatasetFormat.Synthetic) ? d.Int("samples", 2048, 16, 10_000_000) : 2048;
        var features = For("features", synthetic, DatasetFormat.Synthetic) ? d.Int("features", 16, 1, 100_000) : 16;
        var classes = For("classes", synthetic, DatasetFormat.Synthetic) ? d.Int("classes", 4, 2, 1000) : 4;

        // A packed dataset (`manifest: sha256:<hex>`) is read from its chunks, never from files.
        var manifest = For("manifest", "dataset name mnist or a format (idx, csv, text)", DatasetFormat.Mnist,
                           DatasetFormat.Idx, DatasetFormat.Csv, DatasetFormat.Text)
            ? d.BlobHash("manifest", required: false)
            : null;
        if (manifest is not null)
        {
            foreach (var key in new[] { "train", "test", "paths", "include" }.Where(d.Has))
            {
                d.Skip(key);
                d.Fail(key, "a packed dataset (manifest) is read from its chunks; give manifest or the files, not both");
            }
        }

        string? trainImages = null, trainLabels = null, testImages = null, testLabels = null, trainCsv = null, testCsv = null;
        const string files = "format idx or csv";
        var hasFiles = manifest is null
                       && For("train", files, DatasetFormat.Idx, DatasetFormat.Csv)
                       & For("test", files, DatasetFormat.Idx, DatasetFormat.Csv);
        if (hasFiles && known == DatasetFormat.Idx)
        {
            (trainImages, trainLabels) = ReadImageFiles(d.Child("train", ImageFileKeys, required: true), baseDirectory);
            (testImages, testLabels) = ReadImageFiles(d.Child("test", ImageFileKeys, required: true), baseDirectory);
        }
        else if (hasFiles)
        {
            trainCsv = d.FilePath("train", baseDirectory, required: true);
            testCsv = d.FilePath("test", baseDirectory, required: true);
        }

        var labelColumn = For("label-column", "format csv", DatasetFormat.Csv) ? d.Int("label-column", 0, 0, int.MaxValue) : 0;

        const string text = "format text";
        var textPaths = manifest is null && For("paths", text, DatasetFormat.Text)
            ? d.FilePaths("paths", baseDirectory, required: true)
            : null;
        var include = manifest is null && For("include", text, DatasetFormat.Text) ? d.Text("include") : null;
        if (include is "")
        {
            d.Fail("include", "must not be empty; use \"*\" for every file");
        }

        var testFraction = For("test-fraction", text, DatasetFormat.Text)
            ? d.Number("test-fraction", 0.1, Bound.Above(0), Bound.AtMost(0.5))
            : 0.1;

        d.Finish();
        var name = builtIn is { } b && !both ? NameOf(BuiltInDatasets, b) : null;
        return new DatasetSpec(
            name, format ?? DatasetFormat.Mnist,
            trainImages, trainLabels, testImages, testLabels, trainCsv, testCsv, labelColumn,
            textPaths ?? [], include ?? "*", testFraction,
            samples, features, classes, manifest);
    }

    private static (string? Images, string? Labels) ReadImageFiles(Section s, string? baseDirectory)
    {
        var images = s.FilePath("images", baseDirectory, required: true);
        var labels = s.FilePath("labels", baseDirectory, required: true);
        s.Finish();
        return (images, labels);
    }

    private static TrainingSpec ReadTraining(Section t, bool journalled)
    {
        var rounds = t.Int("rounds", 1, 1, 100_000);
        var shards = t.Int("shards", 1, 1, 1024);
        var innerSteps = t.Int("inner-steps", 100, 1, 1_000_000);
        var batchSize = t.Int("batch-size", 64, 1, 65536);
        var seed = t.Integer("seed", 0, long.MaxValue) ?? 42;
        var threads = t.Int("threads", 1, 1, 256);

        // More than inner-steps is allowed: it means only the final state of each round is checkpointed.
        var checkpointEvery = t.Int("checkpoint-every", innerSteps, 1, 1_000_000);
        var commitEvery = ReadCommitEvery(t, innerSteps, checkpointEvery);
        // More than rounds is allowed: it means only the last round's state is evaluated.
        var evalEvery = t.Int("eval-every", TrainingSpec.DefaultEvalEvery, 1, 100_000);
        var inner = ReadInnerOptimizer(t.Child("inner-optimizer", InnerOptimizerKeys));
        var outer = ReadOuterOptimizer(t.Child("outer-optimizer", OuterOptimizerKeys));
        var compression = ReadOuterCompression(t, journalled);
        t.Finish();
        return new TrainingSpec(rounds, shards, innerSteps, batchSize, seed, threads, checkpointEvery, inner, outer,
            evalEvery, commitEvery, compression);
    }

    /// <summary>
    /// c, the steps between committed states: more than inner-steps is clipped to it (only the start and the end are
    /// committed). A checkpoint must be a committed state, so while checkpoints fall inside the shard c must divide
    /// checkpoint-every; when the spec does not say, c is the largest divisor of checkpoint-every up to
    /// <see cref="TrainingSpec.DefaultCommitEvery"/>.
    /// </summary>
    private static int ReadCommitEvery(Section t, int innerSteps, int checkpointEvery)
    {
        var checkpoints = checkpointEvery < innerSteps;
        if (!t.Has("commit-every"))
            return TrainingSpec.DefaultCommitEveryFor(innerSteps, checkpointEvery);
        var c = Math.Min(t.Int("commit-every", 1, 1, 1_000_000), Math.Max(1, innerSteps));
        if (checkpoints && checkpointEvery % c != 0)
        {
            var fit = Enumerable.Range(1, Math.Min(c, checkpointEvery)).Last(d => checkpointEvery % d == 0);
            t.Fail("commit-every", $"must divide training.checkpoint-every ({checkpointEvery}), as every checkpoint " +
                $"is a committed state; got {c}, use a divisor such as {fit}");
        }
        return c;
    }

    private static InnerOptimizerSpec ReadInnerOptimizer(Section o)
    {
        var kind = o.Has("kind") ? o.Choice("kind", InnerOptimizerKinds) : InnerOptimizerKind.AdamW;
        var lr = o.Number("lr", 0.001, Bound.Above(0), Bound.AtMost(10));

        // AdamW has no momentum term: the field is checked but ignored there, as the spec format promises.
        var momentum = o.Number("momentum", 0.9, Bound.AtLeast(0), Bound.Below(1));
        if (kind != InnerOptimizerKind.Sgd)
        {
            momentum = 0;
        }

        var weightDecay = o.Number("weight-decay", kind == InnerOptimizerKind.Sgd ? 0 : 0.01, Bound.AtLeast(0), Bound.AtMost(1));

        bool? adamW = kind is null ? null : kind == InnerOptimizerKind.AdamW;
        bool ForAdamW(string key) => o.Applies(key, adamW, "kind adamw");
        var beta1 = ForAdamW("beta1") ? o.Number("beta1", 0.9, Bound.AtLeast(0), Bound.Below(1)) : 0.9;
        var beta2 = ForAdamW("beta2") ? o.Number("beta2", 0.999, Bound.AtLeast(0), Bound.Below(1)) : 0.999;
        var eps = ForAdamW("eps") ? o.Number("eps", 1e-8, Bound.Above(0), Bound.AtMost(1)) : 1e-8;
        o.Finish();
        return new InnerOptimizerSpec(kind ?? InnerOptimizerKind.AdamW, lr, momentum, weightDecay, beta1, beta2, eps);
    }

    private static OuterOptimizerSpec ReadOuterOptimizer(Section o)
    {
        o.OneOf("kind", ["nesterov"]);
        var lr = o.Number("lr", 0.7, Bound.Above(0), Bound.AtMost(10));
        var momentum = o.Number("momentum", 0.9, Bound.AtLeast(0), Bound.Below(1));
        o.Finish();
        return new OuterOptimizerSpec(lr, momentum);
    }

    /// <summary>training.outer-compression and training.outer-topk (0, none kept out, when absent); see
    /// docs/reference/job-spec.md. An absent codec is int8, except in a spec the network journalled (read by
    /// <see cref="ParseNetwork"/> as no submission): a job accepted before the field existed kept its outer step
    /// uncompressed, and since every job accepted now has the field written out (<see cref="WithExplicitDefaults"/>),
    /// one without it is such a job.</summary>
    private static OuterCompressionSpec? ReadOuterCompression(Section t, bool journalled)
    {
        if (!t.Has("outer-compression") && !t.Has("outer-topk") && !journalled) return null;
        var absent = journalled ? OuterCompressionKind.None : OuterCompressionSpec.Default.Kind;
        var kind = t.Choice("outer-compression", OuterCompressions) ?? absent;
        var topK = t.Number("outer-topk", 0, Bound.AtLeast(0), Bound.Below(1));
        return new OuterCompressionSpec(kind, topK);
    }

    private static VerificationSpec ReadVerification(Section v)
    {
        var mode = v.Choice("mode", VerificationModes) ?? VerificationMode.SpotCheck;
        var samples = v.Int("samples", VerificationSpec.DefaultSamples, 1, VerificationSpec.MaxSamples);
        v.Finish();
        return new VerificationSpec(mode, samples);
    }

    private static RequirementsSpec ReadRequirements(Section r)
    {
        var device = r.Choice("device", Devices) ?? DeviceRequirement.Any;
        var minMemoryGb = r.Number("min-memory-gb", 0, Bound.AtLeast(0), Bound.AtMost(100_000));
        var minBandwidthMbps = r.Number("min-bandwidth-mbps", 0, Bound.AtLeast(0), Bound.AtMost(1_000_000));
        r.Finish();
        return new RequirementsSpec(device, minMemoryGb, minBandwidthMbps);
    }

    /// <summary>
    /// The budget. Whether max-total covers the job is known only at the market's price: the coordinator checks it when the
    /// job starts (and `gensyn quote` shows it), so here it only has to be positive.
    /// </summary>
    private static BudgetSpec ReadBudget(Section b, bool refuseRetired)
    {
        var token = b.OneOf("token", Tokens) ?? "GENS";
        var maxPricePerHour = b.Number("max-price-per-hour", 0.5, Bound.AtLeast(0), Bound.AtMost(MaxMoney));
        var maxTotal = b.Number("max-total", 100, Bound.Above(0), Bound.AtMost(MaxMoney));
        if (b.Skip(RetiredPricePerStep) && refuseRetired)
            b.Fail(RetiredPricePerStep, "prices come from the market now: remove price-per-step; the job pays the clearing price per compute-hour " +
                                        "up to max-price-per-hour, and `gensyn quote JOB.yaml` shows what it would cost");
        b.Finish();
        return new BudgetSpec(token, maxPricePerHour, maxTotal);
    }

    // Reported once per conflict: each branch names the side the user most likely got wrong.
    private static void CheckModelFitsData(ModelKind? model, DatasetFormat? data, List<string> errors)
    {
        if (model is not { } m || data is not { } d)
        {
            return;
        }

        var dataName = d is DatasetFormat.Mnist or DatasetFormat.Synthetic ? NameOf(BuiltInDatasets, d) : NameOf(FileFormats, d);
        if (m == ModelKind.CharLm && d != DatasetFormat.Text)
        {
            errors.Add($"model.kind: charlm needs a text dataset (dataset.format: text), got {dataName}");
        }
        else if (d == DatasetFormat.Text && m != ModelKind.CharLm)
        {
            errors.Add($"dataset.format: text data needs model.kind charlm, got {NameOf(ModelKinds, m)}");
        }
        else if (m == ModelKind.Cnn && d is not (DatasetFormat.Mnist or DatasetFormat.Idx))
        {
            errors.Add($"model.kind: cnn needs image data (dataset name mnist or format idx), got {dataName}");
        }
    }
}

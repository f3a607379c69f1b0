using System.Globalization;
using System.Numerics;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// Reads a YAML job spec into a <see cref="JobSpec"/>, checking every rule. All problems are collected and thrown
/// together as one <see cref="JobSpecException"/>, each naming its field by YAML path (e.g. <c>training.inner-steps</c>).
/// Data files are not checked for existence here; the dataset loader does that.
/// </summary>
public static partial class JobSpecParser
{
    private static readonly string[] TopKeys = ["name", "kind", "model", "dataset", "training", "inference", "verification", "requirements", "budget"];
    private static readonly string[] InferenceKeys = ["weights", "shards", "batch-size", "threads"];
    private static readonly string[] ModelKeys = ["kind", "hidden", "channels", "d-model", "layers", "heads", "context"];
    private static readonly string[] DatasetKeys =
        ["name", "format", "samples", "features", "classes", "train", "test", "label-column", "paths", "include", "test-fraction"];
    private static readonly string[] ImageFileKeys = ["images", "labels"];
    private static readonly string[] TrainingKeys =
        ["rounds", "shards", "inner-steps", "batch-size", "seed", "threads", "checkpoint-every", "inner-optimizer", "outer-optimizer"];
    private static readonly string[] InnerOptimizerKeys = ["kind", "lr", "momentum", "weight-decay", "beta1", "beta2", "eps"];
    private static readonly string[] OuterOptimizerKeys = ["kind", "lr", "momentum"];
    private static readonly string[] VerificationKeys = ["mode", "samples"];
    private static readonly string[] RequirementsKeys = ["device", "min-memory-gb", "min-bandwidth-mbps"];
    private static readonly string[] BudgetKeys = ["token", "max-price-per-hour", "max-total"];

    /// <summary>A budget field that specs no longer have: prices come from the market.</summary>
    private const string RetiredPricePerStep = "price-per-step";

    /// <summary>What a step earned before prices came from the market, when a spec did not say (journals keep such specs).</summary>
    private const double RetiredDefaultPricePerStep = 0.001;

    private static readonly (string Name, JobKind Value)[] JobKinds = [("train", JobKind.Train), ("inference", JobKind.Inference)];
    private static readonly (string Name, ModelKind Value)[] ModelKinds =
        [("mlp", ModelKind.Mlp), ("cnn", ModelKind.Cnn), ("charlm", ModelKind.CharLm)];
    private static readonly (string Name, DatasetFormat Value)[] BuiltInDatasets =
        [("mnist", DatasetFormat.Mnist), ("synthetic", DatasetFormat.Synthetic)];
    private static readonly (string Name, DatasetFormat Value)[] FileFormats =
        [("idx", DatasetFormat.Idx), ("csv", DatasetFormat.Csv), ("text", DatasetFormat.Text)];
    private static readonly (string Name, InnerOptimizerKind Value)[] InnerOptimizerKinds =
        [("sgd", InnerOptimizerKind.Sgd), ("adamw", InnerOptimizerKind.AdamW)];
    private static readonly (string Name, VerificationMode Value)[] VerificationModes =
        [("spot-check", VerificationMode.SpotCheck), ("replicated", VerificationMode.Replicated)];
    private static readonly (string Name, DeviceRequirement Value)[] Devices =
        [("any", DeviceRequirement.Any), ("cpu", DeviceRequirement.Cpu), ("cuda", DeviceRequirement.Cuda)];
    private static readonly string[] Tokens = ["GENS", "USDC"];

    private static readonly int[] DefaultHidden = [128];
    private static readonly int[] DefaultChannels = [32, 64];
    private const double MaxMoney = 1e12;

    /// <summary>
    /// Reads the spec in the file at <paramref name="path"/>, as <see cref="ParseSubmission"/>; relative data paths are
    /// taken from the file's folder.
    /// </summary>
    /// <exception cref="JobSpecException">The file is missing or unreadable, or the spec breaks any rule.</exception>
    public static JobSpec ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new JobSpecException($"{path}: file not found; check the path to the job spec");
        }

        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JobSpecException($"{path}: cannot read the job spec: {e.Message}");
        }

        var fullPath = Path.GetFullPath(path);

        // Never null: the path names an existing file, so it is not a root.
        return ParseSubmission(yaml, Path.GetDirectoryName(fullPath)!);
    }

    /// <summary>
    /// Reads a spec a requester gives now (to submit, quote or train): as <see cref="Parse"/>, and a spec that still sets
    /// <c>budget.price-per-step</c> is refused (prices come from the market now).
    /// </summary>
    /// <exception cref="JobSpecException">The text is not valid YAML or the spec breaks any rule.</exception>
    public static JobSpec ParseSubmission(string yaml, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        return Parse(yaml, baseDirectory, refuseRetired: true);
    }

    /// <summary>
    /// Reads a spec from YAML text; relative data paths are resolved against <paramref name="baseDirectory"/>. A spec the
    /// network accepted before prices came from the market may set <c>budget.price-per-step</c>: it is ignored here, so
    /// journals and assignments of such jobs still read (<see cref="ParseSubmission"/> refuses it).
    /// </summary>
    /// <exception cref="JobSpecException">The text is not valid YAML or the spec breaks any rule.</exception>
    public static JobSpec Parse(string yaml, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(baseDirectory);
        return Parse(yaml, baseDirectory, refuseRetired: false);
    }

    /// <summary>
    /// Reads a spec that runs on the network, as every coordinator, worker and verifier does: data paths stay relative and name files
    /// under <see cref="DataPaths.NetworkRoot"/> on each machine (a path that is absolute or climbs out with <c>..</c> is refused), and
    /// <c>inference.weights</c> must be the hash of a blob the CLI uploaded. Whoever sent the spec has no say in where files are read.
    /// </summary>
    /// <param name="submission">A spec a requester gives now: <c>budget.price-per-step</c> is refused, as in <see cref="ParseSubmission"/>.</param>
    /// <exception cref="JobSpecException">The text is not valid YAML or the spec breaks any rule.</exception>
    public static JobSpec ParseNetwork(string yaml, bool submission = false) => Parse(yaml, null, submission);

    /// <param name="baseDirectory">The folder relative data paths are resolved against; null for a network spec (<see cref="ParseNetwork"/>).</param>
    private static JobSpec Parse(string yaml, string? baseDirectory, bool refuseRetired)
    {
        ArgumentNullException.ThrowIfNull(yaml);

        var errors = new List<string>();
        var root = LoadRoot(yaml, errors);
        if (root is null)
        {
            throw new JobSpecException(errors);
        }

        var top = new Section(root, "", TopKeys, errors);
        var name = ReadName(top);
        var jobKind = top.Has("kind") ? top.Choice("kind", JobKinds) : JobKind.Train;
        var model = ReadModel(top.Child("model", ModelKeys, required: true), out var modelKind);
        var dataset = ReadDataset(top.Child("dataset", DatasetKeys, required: true), baseDirectory, out var dataFormat);
        bool? inferring = jobKind is null ? null : jobKind == JobKind.Inference;
        var training = top.Applies("training", inferring is null ? null : !inferring, "kind train") ? ReadTraining(top.Child("training", TrainingKeys)) : null;
        var inference = top.Applies("inference", inferring, "kind inference") ? ReadInference(top.Child("inference", InferenceKeys, required: true), baseDirectory) : null;
        var verification = ReadVerification(top.Child("verification", VerificationKeys));
        var requirements = ReadRequirements(top.Child("requirements", RequirementsKeys));
        var budget = ReadBudget(top.Child("budget", BudgetKeys), refuseRetired);
        top.Finish();
        CheckModelFitsData(modelKind, dataFormat, errors);
        if (inference is not null) CheckInference(modelKind, verification, errors);
        training ??= InferenceTraining(inference);

        if (errors.Count > 0)
        {
            throw new JobSpecException(errors);
        }

        return new JobSpec(name, model, dataset, training, verification, requirements, budget, jobKind ?? JobKind.Train, inference);
    }

    private static InferenceSpec ReadInference(Section i, string? baseDirectory)
    {
        var weights = baseDirectory is null ? i.BlobHash("weights", required: true) : i.FilePath("weights", baseDirectory, required: true);
        var shards = i.Int("shards", 1, 1, 1024);
        var batchSize = i.Int("batch-size", 256, 1, 65536);
        var threads = i.Int("threads", 1, 1, 256);
        i.Finish();
        return new InferenceSpec(weights ?? "", shards, batchSize, threads);
    }

    /// <summary>
    /// An inference job runs as one round of <see cref="InferenceSpec.Shards"/> shards; how many batches each shard has is
    /// known only once the data is loaded (the round's start records it), so inner-steps here is a placeholder of 1.
    /// </summary>
    private static TrainingSpec InferenceTraining(InferenceSpec? inference)
    {
        var i = inference ?? new InferenceSpec("", 1, 256, 1);
        return new TrainingSpec(1, i.Shards, 1, i.BatchSize, 0, i.Threads, 1,
            new InnerOptimizerSpec(InnerOptimizerKind.AdamW, 0.001, 0, 0.01, 0.9, 0.999, 1e-8), new OuterOptimizerSpec(0.7, 0.9));
    }

    private static void CheckInference(ModelKind? model, VerificationSpec verification, List<string> errors)
    {
        if (model == ModelKind.CharLm) errors.Add("model.kind: inference jobs run classifiers (mlp or cnn), got charlm");
        if (verification.Mode == VerificationMode.Replicated)
            errors.Add("verification.mode: inference jobs are verified by spot-checks (recomputing sampled batches); use spot-check");
    }

    private static YamlMappingNode? LoadRoot(string yaml, List<string> errors)
    {
        if (SpecBounds.Problem(yaml) is { } unsafeShape)
        {
            errors.Add(unsafeShape);
            return null;
        }

        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            errors.Add($"line {e.Start.Line}, column {e.Start.Column}: {Problem(e)}");
            return null;
        }
        catch (Exception)
        {
            // YamlDotNet 18.1 throws InvalidOperationException for some unclosed flow mappings ("{ a: b" then "c: d"),
            // with no position; the last event the parser read is the best place we can point at.
            var at = parser.Current?.End;
            errors.Add($"line {at?.Line ?? 1}, column {at?.Column ?? 1}: cannot read the YAML after this point; look for an unclosed '{{', '[' or quote");
            return null;
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            errors.Add("the job spec is empty; expected a mapping with at least name, model and dataset");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            var start = stream.Documents[1].RootNode.Start;
            errors.Add($"line {start.Line}, column {start.Column}: expected a single YAML document, found another");
            return null;
        }

        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode map)
        {
            errors.Add($"the job spec must be a mapping of fields ({string.Join(", ", TopKeys)}), got {Describe(root)}");
            return null;
        }

        return map;
    }

    // YamlDotNet prefixes its message with both marks, "(Line: 1, Col: 2, Idx: 1) - (Line: ...): "; we print our own.
    private static string Problem(YamlException e)
    {
        var message = e.Message;
        var prefixEnd = message.StartsWith("(Line:", StringComparison.Ordinal) ? message.IndexOf("): ", StringComparison.Ordinal) : -1;
        var problem = prefixEnd >= 0 ? message[(prefixEnd + 3)..] : message;
        return e.InnerException is { } inner ? $"{problem} ({inner.Message})" : problem;
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

    private static ModelSpec ReadModel(Section m, out ModelKind? kind)
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

        m.Finish();
        return new ModelSpec(kind ?? ModelKind.Mlp, hidden ?? DefaultHidden, channels ?? DefaultChannels, dModel, layers, heads, context);
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

        string? trainImages = null, trainLabels = null, testImages = null, testLabels = null, trainCsv = null, testCsv = null;
        const string files = "format idx or csv";
        var hasFiles = For("train", files, DatasetFormat.Idx, DatasetFormat.Csv) & For("test", files, DatasetFormat.Idx, DatasetFormat.Csv);
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
        var textPaths = For("paths", text, DatasetFormat.Text) ? d.FilePaths("paths", baseDirectory, required: true) : null;
        var include = For("include", text, DatasetFormat.Text) ? d.Text("include") : null;
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
            samples, features, classes);
    }

    private static (string? Images, string? Labels) ReadImageFiles(Section s, string? baseDirectory)
    {
        var images = s.FilePath("images", baseDirectory, required: true);
        var labels = s.FilePath("labels", baseDirectory, required: true);
        s.Finish();
        return (images, labels);
    }

    private static TrainingSpec ReadTraining(Section t)
    {
        var rounds = t.Int("rounds", 1, 1, 100_000);
        var shards = t.Int("shards", 1, 1, 1024);
        var innerSteps = t.Int("inner-steps", 100, 1, 1_000_000);
        var batchSize = t.Int("batch-size", 64, 1, 65536);
        var seed = t.Integer("seed", 0, long.MaxValue) ?? 42;
        var threads = t.Int("threads", 1, 1, 256);

        // More than inner-steps is allowed: it means only the final state of each round is checkpointed.
        var checkpointEvery = t.Int("checkpoint-every", innerSteps, 1, 1_000_000);
        var inner = ReadInnerOptimizer(t.Child("inner-optimizer", InnerOptimizerKeys));
        var outer = ReadOuterOptimizer(t.Child("outer-optimizer", OuterOptimizerKeys));
        t.Finish();
        return new TrainingSpec(rounds, shards, innerSteps, batchSize, seed, threads, checkpointEvery, inner, outer);
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

    /// <summary>
    /// What one verified step earned under the retired <c>budget.price-per-step</c> of <paramref name="yaml"/> (0.001 GENS
    /// when the spec did not set it): how jobs that started before prices came from the market are still paid.
    /// </summary>
    public static double RetiredPricePerStepOf(string yaml)
    {
        try
        {
            if (SpecBounds.Problem(yaml) is not null) return RetiredDefaultPricePerStep;
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("budget"), out var budget) && budget is YamlMappingNode b
                && b.Children.TryGetValue(new YamlScalarNode(RetiredPricePerStep), out var price) && price is YamlScalarNode { Value: { } text }
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                return value;
        }
        catch (YamlException)
        {
            // An accepted spec is valid YAML; anything else falls back to the old default.
        }
        return RetiredDefaultPricePerStep;
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

    private static string NameOf<T>((string Name, T Value)[] options, T value) =>
        options.First(o => EqualityComparer<T>.Default.Equals(o.Value, value)).Name;

    // YAML null (empty value, ~, null) counts as absent, so `training:` with nothing under it means all defaults.
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode scalar => $"'{scalar.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };
}

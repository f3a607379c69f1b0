using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Contracts.Jobs;

/// <summary>
/// Reads a YAML job spec into a <see cref="JobSpec"/>, checking every rule. All problems are collected and thrown
/// together as one <see cref="JobSpecException"/>, each naming its field by YAML path (e.g. <c>training.inner-steps</c>).
/// Data files are not checked for existence here; the dataset loader does that. Before any tree is built, the text's shape is
/// bounded (<see cref="SpecBounds"/>: size, depth, values, no anchors or aliases), so no spec can exhaust the stack of the process
/// that reads it. The fields of each section are read in JobSpecParser.Fields.cs, each mapping through a Section (JobSpecParser.Section.cs).
/// </summary>
public static partial class JobSpecParser
{
    private static readonly string[] TopKeys = ["name", "kind", "model", "dataset", "training", "inference", "verification", "requirements", "budget"];
    private static readonly string[] InferenceKeys = ["weights", "shards", "batch-size", "threads"];
    private static readonly string[] ModelKeys =
        ["kind", "hidden", "channels", "d-model", "layers", "heads", "context", "path", "module", "loss"];
    private static readonly string[] DatasetKeys =
        ["name", "format", "samples", "features", "classes", "train", "test", "label-column", "paths", "include", "test-fraction", "manifest"];
    private static readonly string[] ImageFileKeys = ["images", "labels"];
    private static readonly string[] TrainingKeys =
        ["rounds", "shards", "inner-steps", "batch-size", "seed", "threads", "checkpoint-every", "commit-every",
         "eval-every", "inner-optimizer", "outer-optimizer", "outer-compression", "outer-topk"];
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
        [("mlp", ModelKind.Mlp), ("cnn", ModelKind.Cnn), ("charlm", ModelKind.CharLm),
         ("torchscript", ModelKind.TorchScript)];
    private static readonly (string Name, ModelLoss Value)[] ModelLosses =
        [("cross-entropy", ModelLoss.CrossEntropy), ("mse", ModelLoss.Mse)];
    private static readonly (string Name, DatasetFormat Value)[] BuiltInDatasets =
        [("mnist", DatasetFormat.Mnist), ("synthetic", DatasetFormat.Synthetic)];
    private static readonly (string Name, DatasetFormat Value)[] FileFormats =
        [("idx", DatasetFormat.Idx), ("csv", DatasetFormat.Csv), ("text", DatasetFormat.Text)];
    private static readonly (string Name, InnerOptimizerKind Value)[] InnerOptimizerKinds =
        [("sgd", InnerOptimizerKind.Sgd), ("adamw", InnerOptimizerKind.AdamW)];
    private static readonly (string Name, OuterCompressionKind Value)[] OuterCompressions =
        [("int8", OuterCompressionKind.Int8), ("fp16", OuterCompressionKind.Fp16), ("none", OuterCompressionKind.None)];
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
        var model = ReadModel(top.Child("model", ModelKeys, required: true), baseDirectory, out var modelKind);
        var dataset = ReadDataset(top.Child("dataset", DatasetKeys, required: true), baseDirectory, out var dataFormat);
        bool? inferring = jobKind is null ? null : jobKind == JobKind.Inference;
        var journalled = baseDirectory is null && !refuseRetired;
        var training = top.Applies("training", inferring is null ? null : !inferring, "kind train")
            ? ReadTraining(top.Child("training", TrainingKeys), journalled) : null;
        var inference = top.Applies("inference", inferring, "kind inference") ? ReadInference(top.Child("inference", InferenceKeys, required: true), baseDirectory) : null;
        var verification = ReadVerification(top.Child("verification", VerificationKeys));
        var requirements = ReadRequirements(top.Child("requirements", RequirementsKeys));
        var budget = ReadBudget(top.Child("budget", BudgetKeys), refuseRetired);
        top.Finish();
        CheckModelFitsData(modelKind, dataFormat, errors);
        if (inference is not null) CheckInference(modelKind, verification, errors);

        if (errors.Count > 0)
        {
            throw new JobSpecException(errors);
        }

        return new JobSpec(name, model, dataset, training, verification, requirements, budget, jobKind ?? JobKind.Train, inference);
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

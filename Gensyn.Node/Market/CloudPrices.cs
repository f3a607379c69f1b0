using System.Globalization;
using Gensyn.Contracts.Jobs;
using Gensyn.Actors.Market;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Node.Market;

/// <summary>
/// One rented instance a quote compares with: its on-demand price per hour, the least time the provider bills for a
/// start (<paramref name="MinimumBilledSeconds"/>) and where the figures come from.
/// </summary>
public sealed record CloudInstance(
    string Provider, string Instance, string Class, string Hardware, string Region, double UsdPerHour, string Source,
    double MinimumBilledSeconds = 0);

/// <summary>
/// A class of instances (<c>cpu</c>, <c>gpu</c>) and the reference training steps per second an instance of it does:
/// what a quote counts the instances' hours at, and what a worker's default ask compares its measured throughput with.
/// <paramref name="Basis"/> says where the figure comes from.
/// </summary>
public sealed record CloudClass(string Class, double ReferenceStepsPerSecond, string Basis);

/// <summary>
/// The reference on-demand cloud prices shipped with the executable (<c>Market/cloud-prices.yaml</c>, embedded): the
/// figures' date, when they were recorded, the GENS to USD rate quotes assume, and the instances. See the file for the
/// sources and the caveats.
/// </summary>
public sealed record CloudPrices(string AsOf, string Recorded, double GensUsd, IReadOnlyList<CloudInstance> Instances,
                                 IReadOnlyList<CloudClass> Classes)
{
    private const string ResourceName = "Gensyn.Node.Market.cloud-prices.yaml";

    /// <summary>The table shipped with this build.</summary>
    public static CloudPrices Shipped { get; } = Load();

    private static CloudPrices Load()
    {
        using var stream = typeof(CloudPrices).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the build lacks its embedded {ResourceName}; rebuild Gensyn.Node");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Reads a table in the shipped file's format.</summary>
    public static CloudPrices Parse(string yaml)
    {
        var document = new YamlStream();
        document.Load(new StringReader(yaml));
        var root = (YamlMappingNode)document.Documents[0].RootNode;
        string Text(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } s }
            ? s
            : throw new FormatException($"cloud prices: '{key}' is missing");
        double Number(YamlMappingNode node, string key) => double.Parse(Text(node, key), NumberStyles.Float, CultureInfo.InvariantCulture);
        var instances = ((YamlSequenceNode)root.Children[new YamlScalarNode("instances")]).Children.Cast<YamlMappingNode>()
            .Select(i => new CloudInstance(Text(i, "provider"), Text(i, "instance"), Text(i, "class"), Text(i, "hardware"), Text(i, "region"),
                Number(i, "usd-per-hour"), Text(i, "source"), Number(i, "minimum-billed-seconds")))
            .ToList();
        var classes = ((YamlSequenceNode)root.Children[new YamlScalarNode("classes")]).Children.Cast<YamlMappingNode>()
            .Select(c => new CloudClass(Text(c, "class"), Number(c, "reference-steps-per-second"), Text(c, "basis")))
            .ToList();
        if (instances.FirstOrDefault(i => classes.All(c => c.Class != i.Class)) is { } orphan)
            throw new FormatException($"cloud prices: {orphan.Instance}'s class '{orphan.Class}' is not under classes");
        return new CloudPrices(
            Text(root, "as-of"), Text(root, "recorded"), Number(root, "gens-usd"), instances, classes);
    }

    /// <summary>
    /// The class of instances a worker offering <paramref name="device"/> (<c>cpu</c>, <c>cuda</c>) compares with.
    /// </summary>
    public static string ClassOf(string device) => device == "cuda" ? "gpu" : "cpu";

    /// <summary>The reference throughput of instances of <paramref name="cloudClass"/>.</summary>
    public double StepsPerSecondOf(string cloudClass) =>
        Classes.First(c => c.Class == cloudClass).ReferenceStepsPerSecond;

    /// <summary>
    /// The cheapest instance of the class a worker offering <paramref name="device"/> compares with: its on-demand
    /// price sets the default ask (<see cref="DefaultAsk"/>).
    /// </summary>
    public CloudInstance CheapestFor(string device) =>
        Instances.Where(i => i.Class == ClassOf(device)).MinBy(i => i.UsdPerHour)
        ?? throw new InvalidOperationException($"the cloud table has no {ClassOf(device)} instance");

    /// <summary>
    /// The default ask of a worker offering <paramref name="device"/>: the settings in <paramref name="config"/>
    /// (<c>gensyn.market.default-ask</c>) against the cheapest instance of its class, in GENS.
    /// </summary>
    public DefaultAsk DefaultAskFor(string device, Akka.Configuration.Config? config)
    {
        var reference = CheapestFor(device);
        var ask = DefaultAsk.From(
            config, reference.UsdPerHour / GensUsd, StepsPerSecondOf(reference.Class), out var problem);
        return ask
               ?? throw new Cli.CliInputException($"cluster.hocon: {problem}");
    }

    /// <summary>The instances comparable with a job's device requirement: CPU ones for cpu, GPU ones for cuda, both for any.</summary>
    public IReadOnlyList<CloudInstance> For(DeviceRequirement device) => Instances.Where(i => device switch
    {
        DeviceRequirement.Cpu => i.Class == "cpu",
        DeviceRequirement.Cuda => i.Class == "gpu",
        _ => true,
    }).ToList();

    /// <summary>
    /// What <paramref name="work"/> reference steps cost on each instance comparable with <paramref name="device"/>:
    /// the hours an instance of its class takes for them (at the class's reference throughput), billed at least the
    /// instance's minimum, beside the network's <paramref name="costGens"/> converted at <see cref="GensUsd"/>, and the
    /// saving in % (negative: the network costs more).
    /// </summary>
    public IReadOnlyList<CloudComparison> Compare(double work, double costGens, DeviceRequirement device) =>
        For(device).Select(i =>
        {
            var hours = work / StepsPerSecondOf(i.Class) / 3600;
            var billed = Math.Max(hours, i.MinimumBilledSeconds / 3600);
            var cloud = billed * i.UsdPerHour;
            var saving = cloud > 0 ? (cloud - costGens * GensUsd) / cloud * 100 : 0;
            return new CloudComparison(i.Provider, i.Instance, i.Class, i.Hardware, i.Region, i.UsdPerHour, i.Source,
                cloud, Math.Round(saving, 1), hours, billed);
        }).ToList();
}

/// <summary>
/// One instance's cost for a job's work: <see cref="Hours"/> at its class's reference throughput,
/// <see cref="BilledHours"/> with the provider's minimum, <see cref="CostUsd"/> for those, and what the network saves
/// against it (%).
/// </summary>
public sealed record CloudComparison(
    string Provider, string Instance, string Class, string Hardware, string Region, double UsdPerHour, string Source,
    double CostUsd, double SavingPercent, double Hours = 0, double BilledHours = 0);

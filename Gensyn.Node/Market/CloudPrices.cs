using System.Globalization;
using Gensyn.Contracts.Jobs;
using YamlDotNet.RepresentationModel;

namespace Gensyn.Node.Market;

/// <summary>One rented instance a quote compares with: its on-demand price per hour and where the figure comes from.</summary>
public sealed record CloudInstance(string Provider, string Instance, string Class, string Hardware, string Region, double UsdPerHour, string Source);

/// <summary>
/// The reference on-demand cloud prices shipped with the executable (<c>Market/cloud-prices.yaml</c>, embedded): the
/// figures' date, when they were recorded, the GENS to USD rate quotes assume, and the instances. See the file for the
/// sources and the caveats.
/// </summary>
public sealed record CloudPrices(string AsOf, string Recorded, double GensUsd, IReadOnlyList<CloudInstance> Instances)
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
                Number(i, "usd-per-hour"), Text(i, "source")))
            .ToList();
        return new CloudPrices(Text(root, "as-of"), Text(root, "recorded"), Number(root, "gens-usd"), instances);
    }

    /// <summary>The instances comparable with a job's device requirement: CPU ones for cpu, GPU ones for cuda, both for any.</summary>
    public IReadOnlyList<CloudInstance> For(DeviceRequirement device) => Instances.Where(i => device switch
    {
        DeviceRequirement.Cpu => i.Class == "cpu",
        DeviceRequirement.Cuda => i.Class == "gpu",
        _ => true,
    }).ToList();

    /// <summary>
    /// What <paramref name="computeHours"/> cost on each instance comparable with <paramref name="device"/>, beside the
    /// network's <paramref name="costGens"/> converted at <see cref="GensUsd"/>, and the saving in % (negative: the
    /// network costs more).
    /// </summary>
    public IReadOnlyList<CloudComparison> Compare(double computeHours, double costGens, DeviceRequirement device) =>
        For(device).Select(i =>
        {
            var cloud = computeHours * i.UsdPerHour;
            var saving = cloud > 0 ? (cloud - costGens * GensUsd) / cloud * 100 : 0;
            return new CloudComparison(i.Provider, i.Instance, i.Class, i.Hardware, i.Region, i.UsdPerHour, i.Source, cloud, Math.Round(saving, 1));
        }).ToList();
}

/// <summary>One instance's cost for a job's compute-hours, and what the network saves against it (%).</summary>
public sealed record CloudComparison(string Provider, string Instance, string Class, string Hardware, string Region, double UsdPerHour, string Source,
                                     double CostUsd, double SavingPercent);

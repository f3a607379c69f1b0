using Gensyn.Contracts.Messages;

namespace Gensyn.Edge.Dashboard;

/// <summary>A coordinator as the network page shows it: a short name (not its cluster address), its state and
/// roles.</summary>
public sealed record CoordinatorCard(string Name, string Status, bool Serving);

/// <summary>A worker as anyone may see it: a shortened id and no key.</summary>
public sealed record WorkerCard(string Id, string Device, string Class, string State, double Throughput,
    double Reliability,
    int CompletedShards, double Price);

/// <summary>The workers of one hardware class in one state.</summary>
public sealed record ClassCount(string Class, string State, int Workers);

/// <summary>What the network page shows: coordinators, workers, the market per class, and its charts.</summary>
public sealed record NetworkCard(
    IReadOnlyList<CoordinatorCard> Coordinators,
    IReadOnlyList<WorkerCard> Workers,
    IReadOnlyList<ClassCount> Classes,
    IReadOnlyList<MarketClassView> Market,
    string PriceChart,
    string VolumeChart);

/// <summary>A settlement as the public page shows it.</summary>
public sealed record SettlementCard(string JobId, SettlementKind Kind, SettlementStatus Status, string? TxHash,
    string Amount, long GasUsed, DateTimeOffset At);

/// <summary>The jobs page: whether a session is signed in, as which address, and its jobs.</summary>
public sealed record MyJobs(bool SignedIn, string? Address, IReadOnlyList<JobView> Jobs);

/// <summary>A job page's content: the view (full for its owner, the public summary otherwise) and its chart.</summary>
public sealed record JobCard(JobView View, bool Owner, string? Chart);

/// <summary>Input the dashboard refuses, with a line that says what to do instead (answered 400).</summary>
public sealed class DashboardInputException(string message) : Exception(message);

using Gensyn.Contracts;

namespace Gensyn.Actors.Scheduling;

/// <summary>A registered worker as the scheduler sees it.</summary>
public sealed record WorkerEntry<TRef>(
    WorkerId WorkerId,
    TRef Ref,
    string Device,
    double MemoryGb,
    int Threads,
    string NumericClass,
    double Price,
    string Address = "",
    double Throughput = 0,
    double BandwidthMbps = 0)
{
    /// <summary>The order in which it registered (ties go to the earlier one).</summary>
    public long Since { get; set; }

    /// <summary>
    /// What the coordinator observed this worker do (reference steps per second) once its claim was caught false;
    /// null otherwise.
    /// </summary>
    public double? ObservedThroughput { get; set; }

    /// <summary>
    /// The throughput matching and pricing use: the observed figure once a claim was caught false, else the claim.
    /// </summary>
    public double EffectiveThroughput => ObservedThroughput ?? Throughput;

    /// <summary>
    /// What a shard costs on this worker, relatively: its price per unit of throughput (1 step/s when
    /// unmeasured), divided by its reliability. Lower is better.
    /// </summary>
    public double Cost => Price / (EffectiveThroughput > 0 ? EffectiveThroughput : 1) / Math.Max(Reliability, 1e-6);

    public string? BusyWith { get; set; }
    public TRef? GrantedTo { get; set; }

    /// <summary>The record of this worker's key, shared by all its ids (see <see cref="ProviderRecords"/>).</summary>
    public ProviderRecord Record { get; set; } = new();

    public int Completed { get => Record.Completed; set => Record.Completed = value; }
    public int Released { get => Record.Released; set => Record.Released = value; }

    /// <summary>
    /// Verdicts on its key's results: accepted, rejected, and accepted in a row since the last rejection.
    /// </summary>
    public int Accepted { get => Record.Accepted; set => Record.Accepted = value; }
    public int Rejected { get => Record.Rejected; set => Record.Rejected = value; }
    public int HonestStreak { get => Record.HonestStreak; set => Record.HonestStreak = value; }

    /// <summary>Completed shards over completed + abandoned ones, of its key; 1 for a newcomer.</summary>
    public double Reliability => Completed + Released == 0 ? 1.0 : (double)Completed / (Completed + Released);

    /// <summary>The key its record is kept under: its address, or (a worker without one, in tests) its id.</summary>
    public string RecordKey => ProviderRecords.KeyOf(Address, WorkerId);
}

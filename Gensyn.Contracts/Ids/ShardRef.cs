namespace Gensyn.Contracts;

/// <summary>
/// One shard of one round of one job: the address of a unit of work anywhere in the network. It names the job too,
/// not only (round, shard), because the places where shards meet (the scheduler, a worker, a verifier) serve many
/// jobs at once; inside a job, (round, shard) alone is clear. Messages keep their flat jobId/round/shard fields, so
/// their JSON is unchanged; code that needs the triple as one value (a key, a log line) makes a ShardRef of them.
/// </summary>
public readonly record struct ShardRef(JobId Job, int Round, int Shard)
{
    public override string ToString() => $"{Job} round {Round} shard {Shard}";
}

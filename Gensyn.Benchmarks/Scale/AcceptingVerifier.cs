using Akka.Actor;
using Akka.Cluster;
using Gensyn.Actors;
using Gensyn.Actors.Verification;
using Gensyn.Contracts.Messages;
using Gensyn.Node.Local;

namespace Gensyn.Benchmarks.Scale;

/// <summary>
/// A cluster member with the verifier role whose verifier pool accepts every result at once, without fetching or
/// replaying anything: the coordinators send their verification there (<see cref="VerifierDispatch"/> prefers a
/// verifier node), so that the simulated providers' fake results are not what the scale benchmark measures.
/// Benchmark-only.
/// </summary>
public sealed class AcceptingVerifier : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ClusterCertificate _certificate;
    private static long _verdicts;

    private AcceptingVerifier(ActorSystem system, ClusterCertificate certificate)
    {
        _system = system;
        _certificate = certificate;
    }

    /// <summary>Verdicts given so far by every accepting verifier in this process.</summary>
    public static long Verdicts => Interlocked.Read(ref _verdicts);

    /// <summary>Joins the cluster at <paramref name="seed"/> (its cluster address) with its certificate file.</summary>
    public static async Task<AcceptingVerifier> JoinAsync(string seed, string certificateFile, string clusterHocon,
                                                          string directory)
    {
        Directory.CreateDirectory(directory);
        var options = new CoordinatorOptions("127.0.0.1", LocalCluster.FreePort(), [seed], directory,
            JournalOptions.Sqlite(Path.Combine(directory, "journal.db")), clusterHocon,
            Role: CoordinatorNode.VerifierRole);
        var certificate = ClusterCertificate.LoadOrCreate(directory, certificateFile, joining: true);
        var system = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.CoordinatorSetup(options, certificate));
        system.ActorOf(Props.Create(() => new Acceptor()), VerifierActor.PoolName);
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(system);
        var up = new TaskCompletionSource();
        Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(TimeSpan.FromMinutes(1));
        return new AcceptingVerifier(system, certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(_system).Run(CoordinatedShutdown.ClrExitReason.Instance);
        _certificate.Dispose();
    }

    private sealed class Acceptor : ReceiveActor
    {
        public Acceptor()
        {
            Receive<VerifyShard>(r =>
            {
                Interlocked.Increment(ref _verdicts);
                Sender.Tell(new ShardVerdict(r.JobId, r.Round, r.Shard, r.Epoch, r.WorkerId, VerdictOutcome.Accepted,
                    "accepted without a replay (scale benchmark)", VerifierId: "scale-benchmark"));
            });
        }
    }
}

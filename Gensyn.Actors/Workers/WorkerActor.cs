using Akka.Actor;
using Akka.Event;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Workers;

/// <summary>
/// A provider's worker. It reaches the coordinators only through its <see cref="ICoordinatorLink"/> (a session it dials
/// out to a coordinator's edge; it is never a cluster member and listens on no port) and hands what they send to its
/// three parts: the <see cref="WorkerRegistrationActor"/> (stake, throughput, bandwidth, the signed profile), the
/// <see cref="ShardRunnerActor"/> (training and inference shards, one at a time) and the
/// <see cref="ChallengeResponderActor"/> (reveals, openings of challenged steps, bisection answers). A refusal that is
/// final (<see cref="WorkerRefused.Final"/>: its key is convicted, or its profile breaks the network's rules) stops it,
/// and is published on the event stream for the process to exit with; a temporary one is retried.
/// </summary>
public sealed class WorkerActor : ReceiveActor
{
    private readonly WorkerCompute _compute;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _registration = ActorRefs.Nobody;
    private IActorRef _runner = ActorRefs.Nobody;
    private IActorRef _responder = ActorRefs.Nobody;

    public static Props Props(WorkerOptions options, ICoordinatorLink link) =>
        Akka.Actor.Props.Create(() => new WorkerActor(options, link));

    public WorkerActor(WorkerOptions options, ICoordinatorLink link)
    {
        _compute = new WorkerCompute(options, link);
        if (options.Faults.Description is { } cheat) _log.Warning("{0}", cheat);

        Receive<WorkerMessages.NetworkKnown>(known =>
        {
            _runner.Tell(known);
            _responder.Tell(known);
        });
        Receive<WorkerRegistered>(registered => _registration.Forward(registered));
        Receive<WorkerRefused>(refused =>
        {
            if (!refused.Final)
            {
                _registration.Forward(refused);
                return;
            }
            // Registering again can never succeed: the worker says why, once, and stops (WorkerNode hears of it).
            _log.Error("The coordinators refused worker {0} for good: {1}; it stops", refused.WorkerId,
                refused.Reason);
            Context.System.EventStream.Publish(refused);
            Context.Stop(Self);
        });
        Receive<ShardAssignment>(assignment => _runner.Forward(assignment));
        Receive<AbandonShard>(abandon =>
        {
            _responder.Forward(abandon);
            _runner.Forward(abandon);
        });
        Receive<RevealShard>(reveal => _responder.Forward(reveal));
        Receive<OpenSteps>(open => _responder.Forward(open));
        Receive<BisectQuery>(query => _responder.Forward(query));
        Receive<CoordinatorLost>(lost =>
        {
            _responder.Forward(lost);
            _registration.Forward(lost);
            _runner.Forward(lost);
        });
    }

    protected override void PreStart()
    {
        var session = Context.ActorOf(_compute.Link.SessionProps(Self, _compute.Key), "session");
        _compute.Thread.WarmUp();
        _responder = Context.ActorOf(ChallengeResponderActor.Props(_compute), "challenges");
        _runner = Context.ActorOf(ShardRunnerActor.Props(_compute, _responder), "shards");
        _registration = Context.ActorOf(WorkerRegistrationActor.Props(_compute, Self, session), "registration");
    }

    protected override void PostStop() => _compute.Dispose();
}

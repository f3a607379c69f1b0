using Akka.Actor;
using Gensyn.Contracts;
using Google.Protobuf;
using M = Gensyn.Contracts.Messages;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Wire;

/// <summary>A message from the other side of the edge that is not well-formed (a hash of the wrong length, a missing field).</summary>
public sealed class EdgeInputException(string message) : Exception(message);

/// <summary>
/// Translates between the worker session's protobuf messages and the cluster's records. The edge side reads worker messages into
/// records stamped with the session's own worker id (never one the worker names); the worker side reads edge messages into the
/// records its <see cref="Actors.Workers.WorkerActor"/> handles, addressed to a local outbox instead of a cluster actor.
/// </summary>
public static class WorkerWire
{
    public static ByteString Bytes(Sha256Digest digest) => ByteString.CopyFrom(digest.ToBytes());

    public static ByteString Bytes(Sha256Digest? digest) => digest is { } d ? Bytes(d) : ByteString.Empty;

    public static Sha256Digest Digest(ByteString bytes, string field) =>
        bytes.Length == Sha256Digest.Size ? Sha256Digest.FromBytes(bytes.Span) : throw new EdgeInputException($"{field}: a SHA-256 is 32 bytes, got {bytes.Length}");

    public static Sha256Digest? OptionalDigest(ByteString bytes, string field) => bytes.IsEmpty ? null : Digest(bytes, field);

    /// <summary>An assignment's start-state delta: all three hashes, or none (an older edge sends none).</summary>
    private static M.StartStateDelta? DeltaOf(V1.ShardAssignment a) =>
        OptionalDigest(a.DeltaUpdate, "delta_update") is { } update
        && OptionalDigest(a.DeltaLastStart, "delta_last_start") is { } start
        && OptionalDigest(a.DeltaLastEnd, "delta_last_end") is { } end
            ? new M.StartStateDelta(update, start, end) : null;

    public static V1.ShardRef Ref(string jobId, int round, int shard, int epoch) => new() { JobId = jobId, Round = round, Shard = shard, Epoch = epoch };

    private static V1.ShardRef Required(V1.ShardRef? shard) => shard ?? throw new EdgeInputException("shard: missing");

    private static V1.LeafProof Proof(M.LeafProof p)
    {
        var proof = new V1.LeafProof { Index = p.Index, LeafCount = p.LeafCount };
        proof.Siblings.AddRange(p.Siblings.Select(Bytes));
        return proof;
    }

    private static M.LeafProof Proof(V1.LeafProof p, string field)
    {
        if (p.Siblings.Count > 64) throw new EdgeInputException($"{field}: a proof has at most 64 siblings, got {p.Siblings.Count}");
        return new M.LeafProof(p.Index, p.LeafCount, p.Siblings.Select(s => Digest(s, field)).ToList());
    }

    // ---- worker -> edge: the worker side writes them ...

    public static V1.WorkerMessage ToWire(M.IGensynMessage message) => message switch
    {
        M.ShardProgress p => new() { Progress = new() { Shard = Ref(p.JobId, p.Round, p.Shard, p.Epoch), Step = p.Step, Loss = p.Loss } },
        M.ShardCheckpointed c => new() { Checkpointed = new() { Shard = Ref(c.JobId, c.Round, c.Shard, c.Epoch), LocalStep = c.LocalStep, Checkpoint = Bytes(c.Checkpoint), Signature = c.Signature } },
        M.ShardResult r => new() { Result = Result(r) },
        M.ShardFailed f => new() { Failed = new() { Shard = Ref(f.JobId, f.Round, f.Shard, f.Epoch), Reason = f.Reason } },
        M.StepsOpened o => new() { Opened = Opened(o) },
        M.ShardSealed s => new() { Sealed = new() { Shard = Ref((JobId)s.JobId, s.Round, s.Shard, s.Epoch), Seal = Bytes(s.Seal) } },
        M.BisectReply b => new() { BisectReply = Bisect(b) },
        _ => throw new ArgumentException($"{message.GetType().Name} is not something a worker sends"),
    };

    private static V1.ShardResult Result(M.ShardResult r)
    {
        var result = new V1.ShardResult
        {
            Shard = Ref(r.JobId, r.Round, r.Shard, r.Epoch), EndState = Bytes(r.EndState), MerkleRoot = Bytes(r.MerkleRoot),
            Signature = r.Signature, TrainSeconds = r.TrainSeconds, Salt = r.Salt ?? "",
        };
        result.Losses.AddRange(r.Losses);
        return result;
    }

    private static V1.StepsOpened Opened(M.StepsOpened o)
    {
        var opened = new V1.StepsOpened { Shard = Ref(o.JobId, o.Round, o.Shard, o.Epoch) };
        opened.Leaves.AddRange(o.Leaves.Select(l => new V1.OpenedLeaf
        {
            Leaf = l.Leaf, Digest = Bytes(l.Digest), Proof = Proof(l.Proof), State = Bytes(l.State), Signature = l.Signature ?? "",
        }));
        return opened;
    }

    private static V1.BisectReply Bisect(M.BisectReply b) => new()
    {
        Shard = Ref(b.JobId, b.Round, b.Shard, b.Epoch), Step = (V1.BisectStep)b.Step, First = Bytes(b.First), Second = Bytes(b.Second),
        Before = Bytes(b.Before), BeforeProof = b.BeforeProof is { } p ? Proof(p) : null,
    };

    // ... and the edge reads them, under the session's worker id.

    /// <summary>The record a worker's message stands for, with <paramref name="workerId"/> (the session's) as its sender.</summary>
    public static M.IGensynMessage FromWire(V1.WorkerMessage message, WorkerId workerId)
    {
        switch (message.BodyCase)
        {
            case V1.WorkerMessage.BodyOneofCase.Progress:
            {
                var p = message.Progress;
                var s = Required(p.Shard);
                return new M.ShardProgress((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, p.Step, p.Loss);
            }
            case V1.WorkerMessage.BodyOneofCase.Checkpointed:
            {
                var c = message.Checkpointed;
                var s = Required(c.Shard);
                return new M.ShardCheckpointed((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, c.LocalStep, Digest(c.Checkpoint, "checkpoint"), c.Signature);
            }
            case V1.WorkerMessage.BodyOneofCase.Result:
            {
                var r = message.Result;
                var s = Required(r.Shard);
                if (r.Losses.Count > 1_000_000) throw new EdgeInputException($"losses: at most 1,000,000, got {r.Losses.Count}");
                return new M.ShardResult((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, Digest(r.EndState, "end_state"), Digest(r.MerkleRoot, "merkle_root"),
                    r.Losses.ToList(), r.Signature, r.TrainSeconds, string.IsNullOrEmpty(r.Salt) ? null : r.Salt);
            }
            case V1.WorkerMessage.BodyOneofCase.Failed:
            {
                var f = message.Failed;
                var s = Required(f.Shard);
                return new M.ShardFailed((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, f.Reason.Length > 500 ? f.Reason[..500] : f.Reason);
            }
            case V1.WorkerMessage.BodyOneofCase.Opened:
            {
                var o = message.Opened;
                var s = Required(o.Shard);
                if (o.Leaves.Count > 10_000) throw new EdgeInputException($"leaves: at most 10,000, got {o.Leaves.Count}");
                return new M.StepsOpened((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, o.Leaves.Select(l => new M.OpenedLeaf(l.Leaf, Digest(l.Digest, "leaf digest"),
                    Proof(l.Proof ?? throw new EdgeInputException("leaf proof: missing"), "leaf proof"), OptionalDigest(l.State, "leaf state"),
                    string.IsNullOrEmpty(l.Signature) ? null : l.Signature)).ToList());
            }
            case V1.WorkerMessage.BodyOneofCase.Sealed:
            {
                var x = message.Sealed;
                var s = Required(x.Shard);
                return new M.ShardSealed((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, Digest(x.Seal, "seal"));
            }
            case V1.WorkerMessage.BodyOneofCase.BisectReply:
            {
                var b = message.BisectReply;
                var s = Required(b.Shard);
                if (!Enum.IsDefined(b.Step)) throw new EdgeInputException($"step: unknown bisection step {(int)b.Step}");
                return new M.BisectReply((JobId)s.JobId, s.Round, s.Shard, s.Epoch, workerId, (M.BisectStep)b.Step, OptionalDigest(b.First, "first"),
                    OptionalDigest(b.Second, "second"), OptionalDigest(b.Before, "before"), b.BeforeProof is { } p ? Proof(p, "before_proof") : null);
            }
            default:
                throw new EdgeInputException($"a worker cannot send {message.BodyCase} here");
        }
    }

    // ---- edge -> worker: the edge writes them ...

    /// <summary>The assignment as the worker's stream carries it; <paramref name="update"/>: the bytes of its delta's
    /// update blob, pushed with it (none: the worker fetches the blob).</summary>
    public static V1.EdgeMessage ToWire(M.ShardAssignment a, ByteString? update = null) => new()
    {
        Assignment = new()
        {
            Shard = Ref(a.JobId, a.Round, a.Shard, a.Epoch), Spec = Bytes(a.Spec.Hash), BaseDirectory = a.BaseDirectory, StartState = Bytes(a.StartState),
            StartStateBytes = a.StartStateBytes, ResumeFrom = Bytes(a.ResumeFrom),
            DeltaUpdate = Bytes(a.Delta?.Update), DeltaLastStart = Bytes(a.Delta?.LastStart),
            DeltaLastEnd = Bytes(a.Delta?.LastEnd),
            DeltaUpdateBytes = a.Delta is null ? ByteString.Empty : update ?? ByteString.Empty,
        },
    };

    /// <summary>The update blob an assignment pushed (its hash and bytes, not yet checked against each other), or
    /// null.</summary>
    public static (Sha256Digest Hash, ReadOnlyMemory<byte> Bytes)? PushedUpdate(V1.ShardAssignment a) =>
        a.DeltaUpdateBytes.IsEmpty || a.DeltaUpdate.Length != Sha256Digest.Size ? null
            : (Sha256Digest.FromBytes(a.DeltaUpdate.Span), a.DeltaUpdateBytes.Memory);

    public static V1.EdgeMessage ToWire(M.AbandonShard a) => new() { Abandon = new() { Shard = Ref(a.JobId, a.Round, a.Shard, a.Epoch) } };

    public static V1.EdgeMessage ToWire(M.OpenSteps o)
    {
        var open = new V1.OpenSteps
        {
            Shard = Ref(o.JobId, o.Round, o.Shard, o.Epoch), WithAfter = o.WithAfter, Chained = o.Chained,
        };
        open.Steps.AddRange(o.Steps);
        return new() { OpenSteps = open };
    }

    public static V1.EdgeMessage ToWire(M.RevealShard r) => new() { Reveal = new() { Shard = Ref(r.JobId, r.Round, r.Shard, r.Epoch) } };

    public static V1.EdgeMessage ToWire(M.BisectQuery q) =>
        new() { Bisect = new() { Shard = Ref(q.JobId, q.Round, q.Shard, q.Epoch), Step = (V1.BisectStep)q.Step, Level = q.Level, Index = q.Index } };

    public static V1.EdgeMessage ToWire(M.WorkerRefused r) =>
        new() { Refused = new() { WorkerId = r.WorkerId, Reason = r.Reason, Kind = (V1.RefusalKind)r.Kind } };

    // ... and the worker reads them.

    /// <summary>
    /// A refusal as the worker reads it: an older edge sends no kind (temporary, as before), and a kind this worker
    /// does not know is taken as temporary too, so that it keeps registering as it always did.
    /// </summary>
    public static M.WorkerRefused FromWire(V1.Refused r) =>
        new((WorkerId)r.WorkerId, r.Reason,
            Enum.IsDefined((M.RefusalKind)r.Kind) ? (M.RefusalKind)r.Kind : M.RefusalKind.Temporary);

    /// <summary>
    /// The record an edge message stands for on the worker: replies and uploads named in it go to <paramref name="outbox"/>
    /// (the local actor that writes to the session); null for session-level messages (challenge, welcome, refusal).
    /// </summary>
    public static M.IGensynMessage? FromWire(V1.EdgeMessage message, IActorRef outbox)
    {
        switch (message.BodyCase)
        {
            case V1.EdgeMessage.BodyOneofCase.Assignment:
            {
                var a = message.Assignment;
                var s = Required(a.Shard);
                return new M.ShardAssignment((JobId)s.JobId, s.Round, s.Shard, s.Epoch, new Contracts.Jobs.SpecRef(Digest(a.Spec, "spec")), a.BaseDirectory, Digest(a.StartState, "start_state"),
                    a.StartStateBytes, outbox, ActorRefs.Nobody, OptionalDigest(a.ResumeFrom, "resume_from"), DeltaOf(a));
            }
            case V1.EdgeMessage.BodyOneofCase.Abandon:
            {
                var s = Required(message.Abandon.Shard);
                return new M.AbandonShard((JobId)s.JobId, s.Round, s.Shard, s.Epoch);
            }
            case V1.EdgeMessage.BodyOneofCase.OpenSteps:
            {
                var o = message.OpenSteps;
                var s = Required(o.Shard);
                return new M.OpenSteps((JobId)s.JobId, s.Round, s.Shard, s.Epoch, o.Steps.ToList(), o.WithAfter,
                    o.Chained);
            }
            case V1.EdgeMessage.BodyOneofCase.Reveal:
            {
                var s = Required(message.Reveal.Shard);
                return new M.RevealShard((JobId)s.JobId, s.Round, s.Shard, s.Epoch);
            }
            case V1.EdgeMessage.BodyOneofCase.Bisect:
            {
                var q = message.Bisect;
                var s = Required(q.Shard);
                return new M.BisectQuery((JobId)s.JobId, s.Round, s.Shard, s.Epoch, (M.BisectStep)q.Step, q.Level, q.Index);
            }
            default:
                return null;
        }
    }

    public static V1.ChainInfo ToWire(M.ChainInfo c) => new()
    {
        RpcUrl = c.RpcUrl, ChainId = c.ChainId, Token = c.Token, Staking = c.Staking, Escrow = c.Escrow, IsDevnet = c.IsDevnet,
        MinimumStakeMicros = c.MinimumStakeMicros, SettlementAuthority = c.SettlementAuthority,
    };

    public static M.ChainInfo FromWire(V1.ChainInfo c) =>
        new(c.RpcUrl, c.ChainId, c.Token, c.Staking, c.Escrow, c.IsDevnet, c.MinimumStakeMicros, c.SettlementAuthority);
}

using System.Buffers.Binary;
using Gensyn.Contracts;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;
using Gensyn.Training.Training;

namespace Gensyn.Training.Outer;

/// <summary>
/// A shard's next start state rebuilt from what its worker already holds: the start state it trained from last round
/// (the round's global parameters θ), the end state it reached (its AdamW moments, which the next start carries on)
/// and the round's update blob (<see cref="OuterRound.Update"/>: each parameter's encoded update u, so
/// θ' = θ − u bit for bit, as <see cref="OuterStep"/> computed it). What the worker still fetches is that blob; the
/// moments never travel, since they are the worker's own. A rebuilt state counts only when its bytes hash to the
/// assignment's start state: anything else (another worker's end state, a forged or truncated blob) gives null, and
/// the caller fetches the full state.
/// </summary>
public static class StartDelta
{
    /// <summary>The update blob: each parameter's encoded update in canonical order, after its length (uint32,
    /// little-endian).</summary>
    public static byte[] Frame(IReadOnlyList<byte[]> updates)
    {
        using var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var u in updates)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)u.Length);
            stream.Write(length);
            stream.Write(u);
        }
        return stream.ToArray();
    }

    /// <summary>The next start state: <paramref name="lastStart"/>'s parameters minus the decoded update, with
    /// <paramref name="lastEnd"/>'s optimizer state, at <paramref name="step"/>.</summary>
    /// <exception cref="InvalidDataException">The blob does not frame one update per parameter of the right size.
    /// </exception>
    public static StateSnapshot Rebuild(StateSnapshot lastStart, StateSnapshot lastEnd, ReadOnlySpan<byte> update,
                                        long step)
    {
        var parameters = new List<StateTensor>();
        foreach (var param in lastStart.WithPrefix("param/"))
        {
            if (update.Length < 4) throw new InvalidDataException($"the update blob ends before {param.Name}");
            var length = BinaryPrimitives.ReadUInt32LittleEndian(update);
            if (length > update.Length - 4) throw new InvalidDataException($"the update of {param.Name} is cut short");
            var u = OuterCodec.Decode(update.Slice(4, (int)length), param.Values.Length);
            update = update[(4 + (int)length)..];
            var next = new float[u.Length];
            for (var i = 0; i < next.Length; i++) next[i] = param.Values[i] - u[i];
            parameters.Add(param with { Values = next });
        }
        if (!update.IsEmpty) throw new InvalidDataException("the update blob has bytes past its last parameter");
        return TrainingSession.ShardStart(new StateSnapshot(parameters, step), lastEnd, step);
    }

    /// <summary>The serialized rebuilt start state when it hashes to <paramref name="expected"/>; null when the
    /// pieces are malformed or the rebuilt state is not the one expected.</summary>
    public static byte[]? TryRebuild(byte[] lastStart, byte[] lastEnd, byte[] update, long step,
                                     Sha256Digest expected)
    {
        try
        {
            var start = CheckpointFile.Deserialize(lastStart, "the last start state").State;
            var end = CheckpointFile.Deserialize(lastEnd, "the last end state").State;
            var bytes = CheckpointFile.Serialize(Rebuild(start, end, update, step));
            return Sha256Digest.Of(bytes) == expected ? bytes : null;
        }
        catch (Exception e) when (e is InvalidDataException or CheckpointException or ArgumentException)
        {
            return null;
        }
    }
}

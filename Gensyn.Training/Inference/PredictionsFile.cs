using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Gensyn.Contracts;
using Gensyn.Training.Verification;

namespace Gensyn.Training.Inference;

/// <summary>A predictions file that cannot be read: truncated, of another shard, or not one at all.</summary>
public sealed class PredictionsException(string message) : Exception(message);

/// <summary>
/// The logits a model gave for a contiguous run of items: items <see cref="ItemStart"/> .. + <see cref="Count"/>, in
/// fixed batches of <see cref="BatchSize"/> (the last one shorter), <see cref="Classes"/> logits per item. A worker
/// delivers one per inference shard and commits to it with the Merkle root over its batches' leaves; the job's
/// result is the same format over every item (<see cref="Shard"/> −1).
/// </summary>
public sealed record Predictions(int Shard, long ItemStart, int Count, int Classes, int BatchSize, float[] Logits)
{
    public int Batches => Count == 0 ? 0 : (Count + BatchSize - 1) / BatchSize;

    /// <summary>The items of batch <paramref name="batch"/> (0-based): their first index within this file and how many.</summary>
    public (int First, int Count) BatchItems(int batch) => (batch * BatchSize, Math.Min(BatchSize, Count - batch * BatchSize));

    public ReadOnlySpan<float> BatchLogits(int batch)
    {
        var (first, count) = BatchItems(batch);
        return Logits.AsSpan(first * Classes, count * Classes);
    }

    /// <summary>Each batch's leaf, in order: what the worker's Merkle root commits to.</summary>
    public IReadOnlyList<Sha256Digest> Leaves() =>
        Enumerable.Range(0, Batches).Select(b => PredictionsFile.Leaf(Shard, b, ItemStart + BatchItems(b).First, Classes, BatchLogits(b))).ToList();

    public Sha256Digest Root() => MerkleTree.ComputeRoot(Leaves());

    /// <summary>The predicted class of item <paramref name="item"/> (0-based within this file): the first largest logit.</summary>
    public int Predicted(int item)
    {
        var row = Logits.AsSpan(item * Classes, Classes);
        var best = 0;
        for (var c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
        return best;
    }
}

/// <summary>The canonical bytes of <see cref="Predictions"/> (little-endian), and the leaf of one batch.</summary>
public static class PredictionsFile
{
    private static readonly byte[] Magic = "GNSNPRD1"u8.ToArray();
    private const int HeaderBytes = 8 + 4 + 8 + 4 + 4 + 4;
    private static readonly byte[] LeafDomain = "gensyn-inference-batch"u8.ToArray();

    public static byte[] Serialize(Predictions p)
    {
        var bytes = new byte[HeaderBytes + (long)p.Logits.Length * sizeof(float)];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), p.Shard);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), p.ItemStart);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), p.Count);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), p.Classes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(28), p.BatchSize);
        MemoryMarshal.AsBytes(p.Logits.AsSpan()).CopyTo(bytes.AsSpan(HeaderBytes));
        return bytes;
    }

    /// <summary>Reads predictions; <paramref name="source"/> names them in the one-line error a malformed file gets.</summary>
    public static Predictions Deserialize(byte[] bytes, string source)
    {
        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new PredictionsException($"{source} is not a predictions file");
        var shard = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var itemStart = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        var classes = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
        var batchSize = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(28));
        if (itemStart < 0 || count < 0 || classes < 1 || batchSize < 1)
            throw new PredictionsException($"{source} has an impossible header (items {itemStart}+{count}, {classes} classes, batches of {batchSize})");
        var expected = HeaderBytes + (long)count * classes * sizeof(float);
        if (bytes.Length != expected)
            throw new PredictionsException($"{source} holds {bytes.Length} bytes; {count} items x {classes} logits need {expected}");
        var logits = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(HeaderBytes)).ToArray();
        return new Predictions(shard, itemStart, count, classes, batchSize, logits);
    }

    /// <summary>
    /// The leaf of one batch: SHA-256 over a domain tag, the shard, the batch index, the index of its first item, the class
    /// count and its logits' bytes — a leaf cannot be moved to another batch, shard or item without changing it.
    /// </summary>
    public static Sha256Digest Leaf(int shard, int batch, long firstItem, int classes, ReadOnlySpan<float> logits)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[4 + 4 + 8 + 4];
        BinaryPrimitives.WriteInt32LittleEndian(header, shard);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], batch);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], firstItem);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], classes);
        hash.AppendData(LeafDomain);
        hash.AppendData(header);
        hash.AppendData(MemoryMarshal.AsBytes(logits));
        return Sha256Digest.FromBytes(hash.GetHashAndReset());
    }

    /// <summary>Joins shard predictions (in shard order, each following the last) into the job's: every item once, in order.</summary>
    public static Predictions Join(IReadOnlyList<Predictions> shards, int batchSize)
    {
        var classes = shards.Count == 0 ? 1 : shards[0].Classes;
        long next = 0;
        foreach (var s in shards)
        {
            if (s.ItemStart != next || s.Classes != classes)
                throw new PredictionsException($"shard {s.Shard}'s predictions start at item {s.ItemStart} with {s.Classes} classes; expected item {next} with {classes}");
            next += s.Count;
        }
        var logits = shards.SelectMany(s => s.Logits).ToArray();
        return new Predictions(-1, 0, (int)next, classes, batchSize, logits);
    }
}

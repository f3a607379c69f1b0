using System.Buffers.Binary;
using Gensyn.Training.Checkpoints;
using Gensyn.Training.State;

namespace Gensyn.Tests.Checkpoints;

public class CheckpointFileTests
{
    private static StateSnapshot State() => new(
    [
        new StateTensor("param/layer.weight", [2, 3], [1f, -2.5f, 3.25f, float.Epsilon, -0f, 1e30f]),
        new StateTensor("param/layer.bias", [2], [0.5f, -0.5f]),
        new StateTensor("opt/param/layer.bias/exp_avg", [2], [0.1f, 0.2f]),
    ], step: 17);

    [Fact]
    public void A_checkpoint_round_trips_bit_for_bit()
    {
        using var temp = new TempDirectory();
        var state = State();
        CheckpointFile.Save(temp.File("a.safetensors"), state);
        var (loaded, metadata) = CheckpointFile.Load(temp.File("a.safetensors"));
        Assert.Equal(state.Digest(), loaded.Digest());
        Assert.Equal(17, loaded.Step);
        Assert.Equal(state.Digest().ToString(), metadata[CheckpointFile.DigestKey]);
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(loaded.Find("param/layer.weight")!.Values[4]));
    }

    [Fact]
    public void A_bit_flipped_checkpoint_is_refused_with_a_digest_mismatch()
    {
        using var temp = new TempDirectory();
        var path = temp.File("a.safetensors");
        CheckpointFile.Save(path, State());
        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Contains("not the recorded digest", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_checkpoint_recorded_with_the_earlier_serial_sha256_digest_is_refused_with_what_to_do()
    {
        using var temp = new TempDirectory();
        var path = temp.File("old.safetensors");
        var state = State();
        var serial = System.Security.Cryptography.SHA256.HashData(state.CanonicalBytes());
        File.WriteAllBytes(path, SafeTensors.Serialize(state.Tensors, new Dictionary<string, string>
        {
            [CheckpointFile.DigestKey] = Convert.ToHexStringLower(serial),
            [CheckpointFile.StepKey] = "17",
        }));

        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Contains("serial SHA-256", error.Message);
        Assert.Contains("recompute", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused_with_a_clear_reason()
    {
        using var temp = new TempDirectory();
        var path = temp.File("a.safetensors");
        CheckpointFile.Save(path, State());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        Assert.Contains("truncated or corrupt", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated safetensors file", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void A_garbage_header_is_refused_with_a_clear_reason()
    {
        using var temp = new TempDirectory();
        var path = temp.File("a.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 40);
        "{not json at all".Select(c => (byte)c).ToArray().CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt safetensors header", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt safetensors header length", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void A_model_file_has_the_standard_safetensors_layout_with_pytorch_names()
    {
        using var temp = new TempDirectory();
        var path = temp.File("model.safetensors");
        CheckpointFile.SaveModel(path, State(), new Dictionary<string, string> { ["gensyn.job"] = "t" });
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerLength)).RootElement;
        Assert.Equal("F32", header.GetProperty("layer.weight").GetProperty("dtype").GetString());
        Assert.Equal([2, 3], header.GetProperty("layer.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(header.TryGetProperty("opt/param/layer.bias/exp_avg", out _));
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());
        var (tensors, _) = SafeTensors.Deserialize(bytes, path);
        Assert.Equal(2, tensors.Count);
        Assert.Equal(bytes.Length, 8 + headerLength + (6 + 2) * 4);
    }
}

using System.Diagnostics;
using Akka.Streams;
using Gensyn.Actors.Blobs;
using Gensyn.Contracts.Messages;

namespace Gensyn.Actors.Workers;

/// <summary>
/// Measures bandwidth from a coordinator: asks for <see cref="Bytes"/> bytes (<see cref="ProbeBandwidth"/>) and times their
/// transfer through the same blob streams that carry start states and results, round trip included. Used by a worker before
/// it registers and by <c>gensyn worker --check</c>.
/// </summary>
public static class BandwidthProbe
{
    public const int Bytes = 4 << 20;

    /// <summary>Megabits per second; throws when no coordinator answers with the bytes.</summary>
    public static async Task<double> MeasureMbpsAsync(Func<IGensynMessage, Task<object>> ask, IMaterializer materializer)
    {
        var clock = Stopwatch.StartNew();
        var answer = await ask(new ProbeBandwidth(Bytes));
        if (answer is not BlobOffer offer)
            throw new BlobException(answer is RequestFailed failed ? failed.Message : $"the coordinator answered {answer.GetType().Name} to a bandwidth probe");
        var bytes = await BlobTransfer.Receive(offer, materializer, maxBytes: ProbeBandwidth.MaxBytes);
        return bytes.Length * 8.0 / Math.Max(clock.Elapsed.TotalSeconds, 1e-6) / 1e6;
    }

    /// <summary>The bytes a coordinator sends: zeros, so that serving a probe costs no randomness, only the transfer.</summary>
    public static byte[] Payload(int bytes) => new byte[Math.Clamp(bytes, 0, ProbeBandwidth.MaxBytes)];
}

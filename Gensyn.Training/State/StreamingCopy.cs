using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gensyn.Training.State;

/// <summary>
/// Copies large buffers with non-temporal stores where the CPU has them: the destination is written straight to
/// memory instead of being pulled into this core's cache first, which halves the memory traffic of a state copy
/// whose destination another thread reads next (the digest thread). Falls back to an ordinary copy elsewhere.
/// </summary>
public static class StreamingCopy
{
    public static unsafe void Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length > destination.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        if (!Avx.IsSupported || source.Length < 4096)
        {
            source.CopyTo(destination);
            return;
        }
        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            var length = (nuint)source.Length;
            // An ordinary copy up to the first 32-byte-aligned destination address, then aligned streaming stores.
            var head = (nuint)((32 - ((nuint)d & 31)) & 31);
            Buffer.MemoryCopy(s, d, (long)head, (long)head);
            var i = head;
            for (; i + 128 <= length; i += 128)
            {
                var a = Avx.LoadVector256(s + i);
                var b = Avx.LoadVector256(s + i + 32);
                var c = Avx.LoadVector256(s + i + 64);
                var e = Avx.LoadVector256(s + i + 96);
                Avx.StoreAlignedNonTemporal(d + i, a);
                Avx.StoreAlignedNonTemporal(d + i + 32, b);
                Avx.StoreAlignedNonTemporal(d + i + 64, c);
                Avx.StoreAlignedNonTemporal(d + i + 96, e);
            }
            Buffer.MemoryCopy(s + i, d + i, (long)(length - i), (long)(length - i));
            // Streaming stores are weakly ordered: make them visible before the buffer is handed to another thread.
            Sse.StoreFence();
        }
    }
}

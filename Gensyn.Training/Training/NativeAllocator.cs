using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gensyn.Training.Training;

/// <summary>
/// Keeps libtorch's per-step allocations in glibc's heap. By default glibc maps every allocation above a threshold
/// that starts at 128 KiB with mmap, and gives a freed heap top back to the system above a trim threshold. Each
/// training step allocates and frees the same tensors: a batch (200 KB for MNIST), and gradients and AdamW temporaries
/// as large as a layer (800 KB). So each step mapped them, took a page fault on every page, and unmapped them again.
/// glibc raises its thresholds as it goes, but a shard ended long before they settled.
/// <para>Measured on the 2-core host (<c>verification-overhead-spec examples/mnist-mlp.yaml</c>, docs/benchmarks.md):
/// a 100-step mnist-mlp shard took 313–700 ms with glibc's defaults and 125–137 ms with these thresholds. Peak RSS did
/// not change.</para>
/// Fixed thresholds of 4 MiB (mmap) and 64 MiB (trim) keep those tensors in the heap. Turn this off with
/// <c>GENSYN_MALLOC_TUNING=0</c>. It is also off when <c>GLIBC_TUNABLES</c> sets a <c>glibc.malloc</c> tunable, so an
/// operator's own choice stands. Other C libraries and systems are left alone.
/// </summary>
public static class NativeAllocator
{
    /// <summary>Allocations at or above this many bytes are mapped on their own.</summary>
    public const int MmapThreshold = 4 << 20;

    /// <summary>A freed heap top above this many bytes goes back to the system.</summary>
    public const int TrimThreshold = 64 << 20;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    // Runs before any code of this assembly, so before libtorch allocates a step's tensors.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "the thresholds should hold from the first tensor on")]
    internal static void OnLoad() => Configure();

    /// <summary>True when the thresholds are set (glibc on Linux, not turned off); idempotent.</summary>
    public static bool Configure()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GENSYN_MALLOC_TUNING") == "0")
            return false;
        var tunables = Environment.GetEnvironmentVariable("GLIBC_TUNABLES");
        if (tunables?.Contains("glibc.malloc.", StringComparison.Ordinal) == true) return false;
        try
        {
            // mallopt answers 1 when it took the value; another C library may not have it at all.
            return mallopt(MTrimThreshold, TrimThreshold) == 1 && mallopt(MMmapThreshold, MmapThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc")]
    private static extern int mallopt(int parameter, int value);
}

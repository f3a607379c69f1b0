using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gensyn.Training.Training;

/// <summary>
/// Caps the instruction set of oneDNN, libtorch's CPU convolution library, at AVX2 before any kernel is built.
/// On an AVX-512 CPU (an AMD EPYC host, libtorch 2.10) oneDNN's AVX-512 backward-data convolution gave input
/// gradients up to 0.85 away from the direct sum at one thread and different ones from run to run at two: a cnn
/// learned from wrong gradients and no replay of it was bit-identical. Its AVX2 kernels agree with the direct sum to
/// float rounding, and with each other across runs, thread counts and AVX2 or AVX-512 CPUs.
/// A <c>DNNL_MAX_CPU_ISA</c> or <c>ONEDNN_MAX_CPU_ISA</c> already in the environment is left as it is.
/// </summary>
public static class NativeKernels
{
    /// <summary>The cap set when none is given.</summary>
    public const string OneDnnMaxIsa = "AVX2";

    // Runs before any code of this assembly, so before any session, model or replay touches libtorch.
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "oneDNN reads the cap once, at its first kernel")]
    internal static void OnLoad() => Configure();

    /// <summary>Sets the cap in the process's native environment (what oneDNN reads); idempotent.</summary>
    public static void Configure()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        if (Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") is not null
            || Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") is not null) return;
        if (OperatingSystem.IsWindows()) Environment.SetEnvironmentVariable("DNNL_MAX_CPU_ISA", OneDnnMaxIsa);
        // .NET keeps its own copy of the environment on Unix; oneDNN reads the C library's.
        else _ = setenv("DNNL_MAX_CPU_ISA", OneDnnMaxIsa, 0);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);
}

using TorchSharp;

namespace Gensyn.Training.Training;

/// <summary>
/// The device a worker offers (what it registers and is matched on: <c>cpu</c> or <c>cuda</c>) and the device its
/// training actually runs on. The one place where that choice is made: the worker picks it at start
/// (<see cref="Choose"/>) and passes it down to the sessions it trains and infers with.
/// </summary>
public sealed record ComputeDevice
{
    public static readonly ComputeDevice Cpu = new("cpu");
    public static readonly ComputeDevice Cuda = new("cuda");

    private ComputeDevice(string name) => Name = name;

    /// <summary>The device's name as workers register it, the market groups it and job specs ask for it.</summary>
    public string Name { get; }

    /// <summary>
    /// The device the sessions put their model, optimizer and batches on: the CPU for now, whatever was offered.
    /// The libtorch this project ships is the CPU build (TorchSharp-cpu), where no tensor can live on a CUDA device.
    /// Training on CUDA needs a CUDA libtorch (the TorchSharp-cuda-linux package instead of TorchSharp-cpu), the model
    /// and the optimizer buffers moved with <c>.to(device)</c>, each batch copied there before the step, and the
    /// canonical state copied back to the CPU before it is digested; CUDA kernels are not bit-identical to CPU ones, so
    /// the numeric class (which is built from this device) then changes with it.
    /// </summary>
    public ComputeDevice TrainsOn => Cpu;

    /// <summary>What TorchSharp reports: a CUDA device is usable by this process's libtorch.</summary>
    public static bool CudaAvailable() => torch.cuda.is_available();

    /// <summary>
    /// The device a worker offers: <paramref name="requested"/> (<c>cpu</c> or <c>cuda</c>) when given, else CUDA when
    /// <paramref name="cudaAvailable"/> says so, else the CPU.
    /// </summary>
    /// <exception cref="ComputeDeviceException">An unknown device, or <c>cuda</c> where CUDA is not available.</exception>
    public static ComputeDevice Choose(string? requested, Func<bool> cudaAvailable) => requested?.ToLowerInvariant() switch
    {
        null => cudaAvailable() ? Cuda : Cpu,
        "cpu" => Cpu,
        "cuda" => cudaAvailable()
            ? Cuda
            : throw new ComputeDeviceException("--device cuda: CUDA is not available on this machine; run with --device cpu (or leave --device out) to offer the CPU"),
        _ => throw new ComputeDeviceException($"--device: must be cpu or cuda, got '{requested}'"),
    };

    public override string ToString() => Name;
}

/// <summary>A device that cannot be used on this machine (one line that says what to do instead).</summary>
public sealed class ComputeDeviceException(string message) : Exception(message);

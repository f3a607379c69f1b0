using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Gensyn.Training.Models.TorchScript;

/// <summary>
/// A requester's TorchScript module as a model: its forward, and its own named parameters and buffers (so a result is
/// keyed by the names PyTorch's <c>load_state_dict</c> expects, e.g. <c>fc1.weight</c>). Built only from bytes that
/// passed <see cref="TorchScriptSandbox"/> (through <see cref="TorchScriptModules"/>). The module's own saved
/// parameters are its initial weights: the requester's initialisation is used, and a job's seed decides only the
/// order of the data.
/// </summary>
public sealed class TorchScriptModel : nn.Module<Tensor, Tensor>
{
    private readonly jit.ScriptModule<Tensor, Tensor> _module;

    private TorchScriptModel(jit.ScriptModule<Tensor, Tensor> module) : base(nameof(TorchScriptModel)) => _module = module;

    /// <summary>Loads a module the sandbox already passed. Callers go through <see cref="TorchScriptModules"/>.</summary>
    internal static TorchScriptModel Load(byte[] checkedArchive)
    {
        GraphExecutor.UseUnoptimizedGraphs();
        return new(jit.load<Tensor, Tensor>(checkedArchive));
    }

    public override Tensor forward(Tensor input)
    {
        // The setting is per thread in libtorch: set it on the thread that runs this forward pass (and its backward).
        GraphExecutor.UseUnoptimizedGraphs();
        return _module.forward(input);
    }

    public override IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true) =>
        _module.named_parameters(recurse);

    public override IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true, bool include_nonpersistent = true) =>
        _module.named_buffers(recurse, include_nonpersistent);

    public override void zero_grad(bool set_to_none = true) => _module.zero_grad(set_to_none);

    public override void train(bool on = true) => _module.train(on);

    public override void eval() => _module.eval();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _module.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// libtorch's graph executor specialises a TorchScript graph after its first runs (profiling, then symbolic
    /// differentiation and fusion), so a step's gradients could differ in their last bits between a worker's tenth
    /// step and a verifier's replay of it as its first. Turning the optimisation off makes every run take the same
    /// path: each operator runs as it does outside TorchScript, with autograd's own backward.
    /// </summary>
    private static class GraphExecutor
    {
        private const string SetOptimize = "_ZN5torch3jit24setGraphExecutorOptimizeEb";

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void SetFlag([MarshalAs(UnmanagedType.U1)] bool value);

        private static readonly SetFlag Set = Find();

        /// <summary>Turns the optimisation off for the calling thread (libtorch keeps the flag per thread).</summary>
        public static void UseUnoptimizedGraphs() => Set(false);

        private static SetFlag Find()
        {
            // TorchSharp has loaded libtorch by now (the module's first use goes through its static constructor).
            _ = torch.get_num_threads();
            var library = NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, DllImportSearchPath.AssemblyDirectory, out var h)
                          || NativeLibrary.TryLoad("libtorch_cpu.so", out h)
                ? h : throw new InvalidOperationException("libtorch_cpu.so is not loaded; TorchScript models need TorchSharp's libtorch");
            if (!NativeLibrary.TryGetExport(library, SetOptimize, out var export))
                throw new InvalidOperationException($"libtorch has no {SetOptimize}; TorchScript models need libtorch 2.x");
            return Marshal.GetDelegateForFunctionPointer<SetFlag>(export);
        }
    }
}

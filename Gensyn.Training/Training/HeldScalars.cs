using TorchSharp;

namespace Gensyn.Training.Training;

/// <summary>
/// Native scalars that stay alive while libtorch reads them. TorchSharp turns a number passed to a tensor operation
/// into a native Scalar owned by a managed wrapper that frees it when finalized. A temporary wrapper (an implicit
/// conversion such as <c>mul_(0.9)</c>, or the alpha of 1 that <c>add(Tensor)</c>, <c>add_(Tensor)</c>, <c>+</c> and
/// <c>add_(Scalar)</c> create for themselves) is unreachable once its handle is read, so a collection started by any
/// other thread can free it while the operation still runs: the step then throws ("Expected false to be true ...
/// toFloat") or reads whatever value reused the memory. Training and replay code therefore passes only held scalars:
/// fields, <c>using</c> variables, or <see cref="One"/>.
/// </summary>
public static class HeldScalars
{
    /// <summary>The alpha 1 of an addition, an integer as TorchSharp's own overloads pass it; held for good.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer 0 (the start of an <c>arange</c>), held for the process's life.</summary>
    public static readonly Scalar Zero = 0.ToScalar();
}

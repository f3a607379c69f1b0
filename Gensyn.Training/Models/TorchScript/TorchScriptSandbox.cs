using System.IO.Compression;
using System.Text;

namespace Gensyn.Training.Models.TorchScript;

/// <summary>
/// The check a TorchScript module passes before anything parses it: a module is untrusted code, so its TorchScript
/// source (the <c>code/**.py</c> files of the archive, the form <c>torch.jit.save</c> writes and <c>torch.jit.load</c>
/// compiles) may name only tensor math and <c>nn.functional</c> operators from an allowlist. Anything else is refused
/// with a one-line reason: files (<c>torch.from_file</c>, <c>torch.save</c>, <c>torch.load</c>), processes and
/// sockets (nothing in the allowlist reaches them), custom C++ classes, unknown operators and random numbers (a step
/// must replay bit for bit). The check reads text only; no byte of the module reaches libtorch before it passes.
/// </summary>
public static class TorchScriptSandbox
{
    /// <summary>The largest source a module may carry, in bytes of all its code files together.</summary>
    public const long MaxCodeBytes = 4L << 20;

    /// <summary>The operators a module may call as <c>torch.&lt;op&gt;</c> or <c>ops.aten.&lt;op&gt;</c>.</summary>
    private static readonly HashSet<string> TensorOps = new(StringComparer.Ordinal)
    {
        // arithmetic and comparisons
        "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_", "neg", "abs", "pow", "sqrt", "rsqrt", "exp", "log",
        "log1p", "expm1", "sin", "cos", "tan", "floor", "ceil", "round", "sign", "reciprocal", "square", "remainder",
        "fmod", "floor_divide", "clamp", "clamp_min", "clamp_max", "clip", "maximum", "minimum", "where", "lerp",
        "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "__and__", "__or__", "__not__",
        "__is__", "__isnot__", "__derive_index", "__range_length", "__getitem__", "__contains__", "isnan", "isfinite",
        "masked_fill", "masked_fill_", "erf", "erfc", "atan", "atan2",
        // reductions
        "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "std", "var", "norm", "logsumexp",
        "cumsum", "all", "any", "count_nonzero",
        // linear algebra
        "linear", "matmul", "mm", "bmm", "addmm", "baddbmm", "einsum", "t", "outer", "dot",
        // shapes
        "flatten", "unflatten", "reshape", "view", "view_as", "permute", "transpose", "contiguous", "squeeze",
        "unsqueeze", "cat", "concat", "stack", "chunk", "split", "narrow", "select", "slice", "index_select", "gather",
        "expand", "expand_as", "repeat", "tril", "triu", "size", "dim", "numel", "len", "clone", "detach", "flip",
        "roll", "pad", "constant_pad_nd", "one_hot", "embedding", "index", "to", "type_as", "float", "append",
        "list", "tensor", "scalar_tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange",
        "empty", "empty_like", "fill_", "zero_", "copy_", "_assert", "warn", "format", "str", "dtype", "device",
        "Size", "Tensor", "is_floating_point", "is_grad_enabled", "_unwrap_optional", "__interpolate",
        // activations, normalisation, pooling, convolution, attention
        "relu", "relu_", "relu6", "gelu", "silu", "mish", "sigmoid", "tanh", "softmax", "log_softmax", "softplus",
        "softsign", "leaky_relu", "leaky_relu_", "elu", "selu", "celu", "hardtanh", "hardsigmoid", "hardswish",
        "prelu", "glu", "threshold", "logsigmoid", "layer_norm", "group_norm", "batch_norm", "instance_norm",
        "rms_norm", "normalize", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
        "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
        "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "scaled_dot_product_attention",
        "upsample_nearest2d", "upsample_bilinear2d", "pixel_shuffle", "cosine_similarity", "pairwise_distance",
    };

    /// <summary>Operators refused for a reason worth saying in the refusal line.</summary>
    private static readonly Dictionary<string, string> Named = new(StringComparer.Ordinal)
    {
        ["from_file"] = "it reads a file",
        ["load"] = "it reads a file",
        ["save"] = "it writes a file",
        ["_save"] = "it writes a file",
        ["_load"] = "it reads a file",
        ["dropout"] = "it draws random numbers, and every step must replay bit for bit",
        ["feature_dropout"] = "it draws random numbers, and every step must replay bit for bit",
        ["alpha_dropout"] = "it draws random numbers, and every step must replay bit for bit",
        ["bernoulli"] = "it draws random numbers, and every step must replay bit for bit",
        ["rand"] = "it draws random numbers, and every step must replay bit for bit",
        ["randn"] = "it draws random numbers, and every step must replay bit for bit",
        ["randint"] = "it draws random numbers, and every step must replay bit for bit",
        ["rand_like"] = "it draws random numbers, and every step must replay bit for bit",
        ["randn_like"] = "it draws random numbers, and every step must replay bit for bit",
        ["randperm"] = "it draws random numbers, and every step must replay bit for bit",
        ["multinomial"] = "it draws random numbers, and every step must replay bit for bit",
        ["normal"] = "it draws random numbers, and every step must replay bit for bit",
    };

    /// <summary>Graph primitives the printer writes as <c>ops.prim.&lt;name&gt;</c>: control flow and conversions only.</summary>
    private static readonly HashSet<string> Primitives = new(StringComparer.Ordinal)
    {
        "NumToTensor", "RaiseException", "min", "max", "abs", "device", "dtype", "unchecked_cast", "TupleIndex",
        "ListConstruct", "TupleConstruct", "isinstance", "shape", "layout", "is_cuda", "data",
    };

    /// <summary>Python built-ins the printed TorchScript may call.</summary>
    private static readonly HashSet<string> Builtins = new(StringComparer.Ordinal)
    {
        "int", "float", "bool", "str", "len", "range", "annotate", "unchecked_cast", "isinstance", "uninitialized",
        "min", "max", "abs", "round", "divmod", "enumerate", "zip", "list", "tuple", "Exception",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "def", "class", "return", "if", "else", "elif", "for", "in", "while", "and", "or", "not", "is", "None", "True",
        "False", "pass", "break", "continue", "raise", "assert", "with", "as", "lambda", "del", "global", "nonlocal",
    };

    /// <summary>Why the module in <paramref name="archive"/> may not run, in one line naming <paramref name="shown"/>; null when
    /// every operator it names is on the allowlist.</summary>
    public static string? Problem(byte[] archive, string shown)
    {
        Dictionary<string, string> sources;
        try
        {
            sources = CodeFiles(archive);
        }
        catch (InvalidDataException)
        {
            return $"{shown}: not a TorchScript file (a zip written by torch.jit.save); save the module with torch.jit.script(model).save(path)";
        }
        if (sources.Count == 0)
            return $"{shown}: holds no TorchScript code; save the module with torch.jit.script(model).save(path)";
        if (sources.Values.Sum(s => (long)s.Length) > MaxCodeBytes)
            return $"{shown}: its TorchScript code is over {MaxCodeBytes >> 20} MiB; a model's code is much smaller";

        var defined = new HashSet<string>(StringComparer.Ordinal);
        var tokensByFile = sources.ToDictionary(s => s.Key, s => Tokens(s.Value));
        foreach (var tokens in tokensByFile.Values)
            for (var i = 0; i + 1 < tokens.Count; i++)
                if (tokens[i] is "def" or "class") defined.Add(tokens[i + 1]);

        foreach (var (file, tokens) in tokensByFile)
        {
            if (FirstRefused(tokens, defined) is { } refused)
                return $"{shown}: {file} uses {refused}; a module may use only tensor math and nn.functional operators " +
                       "(docs/concepts/torchscript.md lists them)";
        }
        return null;
    }

    /// <summary>The first name in <paramref name="tokens"/> that is not allowed, with why, or null.</summary>
    private static string? FirstRefused(List<string> tokens, HashSet<string> defined)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!IsIdentifier(token) || Keywords.Contains(token)) continue;
            var afterDot = i > 0 && tokens[i - 1] == ".";
            var chain = new List<string> { token };
            var j = i;
            while (j + 2 < tokens.Count && tokens[j + 1] == "." && IsIdentifier(tokens[j + 2]))
            {
                chain.Add(tokens[j + 2]);
                j += 2;
            }
            var called = j + 1 < tokens.Count && tokens[j + 1] == "(";
            var problem = afterDot ? Method(chain, called, defined) : Chain(chain, called, defined);
            if (problem is not null) return problem;
            i = j;
        }
        return null;
    }

    /// <summary>A name reached through an expression (<c>(fc).forward(...)</c>): a call must be a method the module defines.</summary>
    private static string? Method(List<string> chain, bool called, HashSet<string> defined) =>
        called && !defined.Contains(chain[^1]) ? $"method {chain[^1]}, which the module does not define" : null;

    private static string? Chain(List<string> chain, bool called, HashSet<string> defined)
    {
        var name = string.Join('.', chain);
        switch (chain[0])
        {
            case "torch" when chain.Count >= 2:
                return Operator(name, chain[^1], chain.Count == 2 || chain[1] is "nn" or "functional");
            case "ops" when chain.Count >= 3 && chain[1] == "aten":
                return Operator(name, chain[2], true);
            case "ops" when chain.Count >= 3 && chain[1] == "prim":
                return Primitives.Contains(chain[2]) ? null : $"{name}, which is not a tensor operation";
            case "ops":
                return $"{name}, an operator outside the tensor library";
            case "__torch__" when chain.Count >= 3 && chain[1] == "torch" && chain[2] == "classes":
                return $"{name}, a native class outside the tensor library";
            case "__torch__":
                return null;   // a class or function of the module itself, checked where it is defined
            case "math":
                return null;   // Python's math functions: arithmetic on numbers
        }
        if (chain.Count == 1 && called && !Builtins.Contains(name) && !defined.Contains(name))
            return $"{name}(...), which is not a tensor operation";
        if (chain.Count > 1 && called && !defined.Contains(chain[^1]))
            return $"{name}(...), which is not a tensor operation";
        return null;
    }

    private static string? Operator(string name, string op, bool plain)
    {
        if (Named.TryGetValue(op, out var why)) return $"{name}: {why}";
        return plain && TensorOps.Contains(op) ? null : $"{name}, which is not a tensor operation";
    }

    private static Dictionary<string, string> CodeFiles(byte[] archive)
    {
        using var zip = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in zip.Entries)
        {
            var parts = entry.FullName.Split('/');
            var code = Array.IndexOf(parts, "code");
            if (code < 0 || !entry.FullName.EndsWith(".py", StringComparison.Ordinal)) continue;
            total += entry.Length;
            if (total > MaxCodeBytes) throw new InvalidDataException("code too large");
            using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
            files[string.Join('/', parts[code..])] = reader.ReadToEnd();
        }
        return files;
    }

    /// <summary>The source's identifiers and punctuation, with string literals and comments dropped.</summary>
    private static List<string> Tokens(string source)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '#')
            {
                while (i < source.Length && source[i] != '\n') i++;
            }
            else if (c is '"' or '\'')
            {
                var triple = i + 2 < source.Length && source[i + 1] == c && source[i + 2] == c;
                var quote = triple ? new string(c, 3) : c.ToString();
                i += quote.Length;
                while (i < source.Length && string.CompareOrdinal(source, i, quote, 0, quote.Length) != 0)
                    i += source[i] == '\\' ? 2 : 1;
                i += quote.Length;
                tokens.Add("\"\"");
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_')) i++;
                tokens.Add(source[start..i]);
            }
            else if (char.IsDigit(c))
            {
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] is '.' or '_')) i++;
                tokens.Add("0");
            }
            else
            {
                if (!char.IsWhiteSpace(c)) tokens.Add(c.ToString());
                i++;
            }
        }
        return tokens;
    }

    private static bool IsIdentifier(string token) => token.Length > 0 && (char.IsLetter(token[0]) || token[0] == '_');
}

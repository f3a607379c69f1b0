using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Gensyn.Actors;

/// <summary>
/// The certificate cluster members (coordinators and verifier nodes) present to each other over mutual TLS on the
/// Akka.Remote port. A process without it cannot complete the TLS handshake, so it cannot join or send a single
/// message. By default the first coordinator creates a self-signed certificate in DATA_DIR/tls/cluster.pfx, every
/// other member gets a copy (<c>--cluster-cert FILE</c>), and peers are accepted only if they present that very
/// certificate (pinned by thumbprint). With a CA (<c>--cluster-ca FILE</c>) each member presents its own certificate
/// and peers are accepted if theirs chains to that CA.
/// </summary>
/// <remarks>
/// The PKCS#12 files are written and read with the fixed password <see cref="Password"/> (empty): a password kept
/// beside the file would protect nothing. What protects the key is the file mode, 0600 (in a 0700 directory), as for
/// an SSH key; keep copies the same way.
/// </remarks>
public sealed class ClusterCertificate : IDisposable
{
    /// <summary>The PKCS#12 password of the cluster certificate files: empty (see the remarks on the class).</summary>
    public const string Password = "";

    private const string SubjectName = "CN=gensyn-cluster";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private string? _refusal;

    private ClusterCertificate(X509Certificate2 certificate, string file, X509Certificate2? authority)
    {
        Certificate = certificate;
        File = file;
        Authority = authority;
    }

    /// <summary>The certificate (with its private key) this node presents.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The PKCS#12 file <see cref="Certificate"/> came from: what to copy to the next member when there is no CA.</summary>
    public string File { get; }

    /// <summary>The CA peers' certificates must chain to; null: peers must present <see cref="Certificate"/> itself.</summary>
    public X509Certificate2? Authority { get; }

    /// <summary>The last peer certificate this node refused, in words; null if none was.</summary>
    public string? LastRefusal => Volatile.Read(ref _refusal);

    /// <summary>Where a node keeps the cluster certificate it created or was given: DATA_DIR/tls/cluster.pfx.</summary>
    public static string DefaultFile(string dataDirectory) => Path.Combine(dataDirectory, "tls", "cluster.pfx");

    /// <summary>
    /// The certificate this node presents: <paramref name="certFile"/> if given; else DATA_DIR/tls/cluster.pfx if present;
    /// else, for a node that forms a new cluster (not <paramref name="joining"/>, no CA), a new one created there.
    /// </summary>
    /// <exception cref="ClusterCertificateException">No certificate can be had, or a file cannot be read; the message says what to do.</exception>
    public static ClusterCertificate LoadOrCreate(string dataDirectory, string? certFile, bool joining, string? caFile = null)
    {
        var authority = caFile is null ? null : LoadAuthority(caFile);
        if (certFile is not null) return Load(Path.GetFullPath(certFile), authority, "--cluster-cert");
        var file = DefaultFile(dataDirectory);
        if (System.IO.File.Exists(file)) return Load(file, authority, "the cluster certificate");
        if (authority is not null)
            throw new ClusterCertificateException("--cluster-ca: also give this node's certificate, signed by that CA, as --cluster-cert FILE (PKCS#12 with its key, no password)");
        if (joining)
            throw new ClusterCertificateException("this node joins a cluster but has no cluster certificate: copy the first coordinator's DATA_DIR/tls/cluster.pfx here and pass --cluster-cert FILE");
        return Create(file);
    }

    /// <summary>Creates a new self-signed cluster certificate (ECDSA P-256, server and client auth) and writes it to <paramref name="file"/>, mode 0600.</summary>
    public static ClusterCertificate Create(string file)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth), new Oid(ClientAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        var pkcs12 = created.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password);

        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Written beside the target and moved into place, so a crash never leaves a half-written certificate behind.
        var temporary = file + ".tmp";
        System.IO.File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options)) stream.Write(pkcs12);
        System.IO.File.Move(temporary, file, overwrite: true);
        return new ClusterCertificate(X509CertificateLoader.LoadPkcs12(pkcs12, Password), Path.GetFullPath(file), null);
    }

    /// <summary>
    /// The Akka.Remote TLS setup: this certificate, mutual authentication (without it the server never asks for the
    /// client's certificate), and <see cref="Validate"/> in place of all built-in validation.
    /// </summary>
    public DotNettySslSetup SslSetup() => new(Certificate, suppressValidation: false, requireMutualAuthentication: true, Validate);

    /// <summary>
    /// Accepts a peer that presents this cluster certificate (by SHA-1 thumbprint, as Akka's pinning does) or, with a
    /// CA, a certificate that chains to that CA alone. Runs for both incoming and outgoing connections.
    /// </summary>
    public bool Validate(X509Certificate2? certificate, X509Chain? chain, string remotePeer, SslPolicyErrors errors, ILoggingAdapter? log)
    {
        string? problem;
        if (certificate is null) problem = "it presented no certificate";
        else if (Authority is null)
            problem = string.Equals(certificate.Thumbprint, Certificate.Thumbprint, StringComparison.OrdinalIgnoreCase)
                ? null
                : $"it presented certificate {certificate.Thumbprint}, not the cluster certificate {Certificate.Thumbprint}";
        else problem = ChainProblem(certificate, chain);
        if (problem is null) return true;
        var refusal = $"refused a TLS connection with {remotePeer}: {problem}";
        Volatile.Write(ref _refusal, refusal);
        log?.Warning("Cluster transport {0}", refusal);
        return false;
    }

    private string? ChainProblem(X509Certificate2 certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority!);
        // A private cluster CA publishes no revocation lists; removing a member means rotating the CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.Equals(certificate)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(certificate)) return null;
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"its certificate {certificate.Subject} ({certificate.Thumbprint}) does not chain to the cluster CA {Authority!.Subject} ({status})";
    }

    private static ClusterCertificate Load(string file, X509Certificate2? authority, string what)
    {
        if (!System.IO.File.Exists(file))
            throw new ClusterCertificateException($"{what}: {file} not found; copy the first coordinator's DATA_DIR/tls/cluster.pfx and pass --cluster-cert FILE");
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(file, Password);
        }
        catch (CryptographicException e)
        {
            throw new ClusterCertificateException($"{what}: cannot read {file} as PKCS#12 without a password ({e.Message}); give a .pfx written by a coordinator (DATA_DIR/tls/cluster.pfx)");
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ClusterCertificateException($"{what}: {file} holds no private key; give the .pfx with its key (a coordinator's DATA_DIR/tls/cluster.pfx)");
        }
        return new ClusterCertificate(certificate, file, authority);
    }

    private static X509Certificate2 LoadAuthority(string file)
    {
        if (!System.IO.File.Exists(file)) throw new ClusterCertificateException($"--cluster-ca: {file} not found");
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(file);
        }
        catch (CryptographicException e)
        {
            throw new ClusterCertificateException($"--cluster-ca: cannot read {file} as a PEM or DER certificate ({e.Message})");
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Authority?.Dispose();
    }
}

/// <summary>The cluster certificate is missing, unreadable, or refused; the message says what to do.</summary>
public sealed class ClusterCertificateException(string message) : Exception(message);

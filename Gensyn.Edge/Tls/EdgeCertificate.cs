using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gensyn.Edge.Tls;

/// <summary>
/// The edge's TLS certificate: the operator's (<c>--tls-cert</c>, a PKCS#12 file) or one the edge made itself on first start and keeps in
/// <c>DATA_DIR/tls/edge.pfx</c> (mode 0600: the file mode protects the key, so the PKCS#12 password is empty). Clients pin its SHA-256
/// fingerprint, as SSH pins host keys.
/// </summary>
public static class EdgeCertificate
{
    public const string FileName = "edge.pfx";

    /// <summary>The certificate to serve: <paramref name="operatorFile"/> when given, else the one in <paramref name="dataDirectory"/>, created if missing.</summary>
    public static X509Certificate2 LoadOrCreate(string dataDirectory, string? operatorFile = null, string? password = null)
    {
        if (operatorFile is not null)
        {
            if (!File.Exists(operatorFile)) throw new FileNotFoundException($"--tls-cert: {operatorFile} not found; give a PKCS#12 (.pfx) file with the certificate and its key");
            try
            {
                var given = X509CertificateLoader.LoadPkcs12FromFile(operatorFile, password ?? Environment.GetEnvironmentVariable("GENSYN_TLS_CERT_PASSWORD"));
                return given.HasPrivateKey ? given : throw new CryptographicException("it holds no private key");
            }
            catch (CryptographicException e)
            {
                throw new InvalidDataException($"--tls-cert: {operatorFile} is not a usable PKCS#12 certificate with its key ({e.Message}); set GENSYN_TLS_CERT_PASSWORD if it has a password");
            }
        }
        var path = Path.Combine(dataDirectory, "tls", FileName);
        if (File.Exists(path)) return X509CertificateLoader.LoadPkcs12FromFile(path, "");
        var created = Create();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, []);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllBytes(temp, created.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, ""));
        File.Move(temp, path, overwrite: false);
        return X509CertificateLoader.LoadPkcs12FromFile(path, "");
    }

    /// <summary>A self-signed ECDSA P-256 server certificate for this host, valid for ten years.</summary>
    public static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=gensyn-edge-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        names.AddDnsName(System.Net.Dns.GetHostName());
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
    }

    /// <summary>The SHA-256 fingerprint clients pin: 64 lowercase hex digits.</summary>
    public static string Fingerprint(X509Certificate certificate) => Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));
}

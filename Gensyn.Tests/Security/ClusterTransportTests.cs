using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Cluster;
using Gensyn.Actors;
using Gensyn.Tests.Cluster;

namespace Gensyn.Tests.Security;

/// <summary>
/// Cluster members speak Akka.Remote over mutual TLS on the cluster certificate: members that share it form one
/// cluster; a node with another certificate, a plain-TCP Akka process and a raw socket get nothing through.
/// </summary>
[Collection("cluster")]
public class ClusterTransportTests
{
    /// <summary>A guard against a hung cluster, not a timing assertion: two nodes join in a few seconds.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_coordinators_sharing_the_cluster_certificate_form_one_cluster()
    {
        using var root = new TempDirectory();
        var firstPort = LocalCluster.FreePort();
        await using var first = Start(root, "first", firstPort, []);
        await first.WhenUp().WaitAsync(GiveUpAfter);
        Assert.Equal(ClusterCertificate.DefaultFile(root.File("first")), first.Certificate.File);
        Assert.Equal(NodeConfig.ClusterProtocol, Akka.Cluster.Cluster.Get(first.System).SelfAddress.Protocol);

        await using var second = Start(root, "second", LocalCluster.FreePort(), [$"127.0.0.1:{firstPort}"], first.Certificate.File);
        await second.WhenUp().WaitAsync(GiveUpAfter);

        await WaitUntil(() => UpMembers(first) == 2 && UpMembers(second) == 2, GiveUpAfter, "both coordinators to see 2 Up members");
    }

    [Fact]
    public async Task A_coordinator_with_another_certificate_cannot_join_and_says_what_to_do()
    {
        using var root = new TempDirectory();
        var firstPort = LocalCluster.FreePort();
        await using var first = Start(root, "first", firstPort, []);
        await first.WhenUp().WaitAsync(GiveUpAfter);
        using (ClusterCertificate.Create(root.File("other.pfx"))) { }

        // The refusal may stop the stranger while it is still starting, or after: either way it must say what to do.
        var joining = Task.Run(async () =>
        {
            await using var stranger = Start(root, "stranger", LocalCluster.FreePort(), [$"127.0.0.1:{firstPort}"], root.File("other.pfx"));
            await stranger.WhenUp().WaitAsync(GiveUpAfter);
        });
        var refused = await Assert.ThrowsAsync<ClusterCertificateException>(() => joining.WaitAsync(GiveUpAfter));
        // The stranger has stopped: it never became a member of the first node's cluster.
        Assert.Single(Akka.Cluster.Cluster.Get(first.System).State.Members);
        Assert.Contains("refused", refused.Message);
        Assert.Contains("--cluster-cert", refused.Message);
        Assert.Contains("cluster.pfx", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
    }

    [Fact]
    public async Task A_plain_tcp_akka_process_gets_no_answer_and_a_raw_socket_is_disconnected()
    {
        using var root = new TempDirectory();
        var port = LocalCluster.FreePort();
        await using var coordinator = Start(root, "coordinator", port, []);
        await coordinator.WhenUp().WaitAsync(GiveUpAfter);

        using var plain = ActorSystem.Create(NodeConfig.SystemName, NodeConfig.Remote());
        try
        {
            foreach (var path in new[] { "/system/receptionist", "/user/jobs" })
            {
                var selection = plain.ActorSelection($"akka.tcp://{NodeConfig.SystemName}@127.0.0.1:{port}{path}");
                // Undeliverable, the Identify goes to the plain process's own dead letters, which answer with no subject.
                try
                {
                    var identity = await selection.Ask<ActorIdentity>(new Identify(path), TimeSpan.FromSeconds(3));
                    Assert.Null(identity.Subject);
                }
                catch (AskTimeoutException)
                {
                }
            }
        }
        finally
        {
            await plain.Terminate();
        }

        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", port);
        var stream = socket.GetStream();
        var plaintext = new byte[64 * 1024];
        Random.Shared.NextBytes(plaintext);
        var disconnected = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(plaintext);
                var buffer = new byte[4096];
                while (await stream.ReadAsync(buffer) > 0) { }
            }
            catch (IOException)
            {
            }
        });
        await disconnected.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Single(Akka.Cluster.Cluster.Get(coordinator.System).State.Members);
    }

    [Fact]
    public void A_joining_node_without_a_certificate_is_told_to_copy_the_first_coordinators()
    {
        using var root = new TempDirectory();
        var refused = Assert.Throws<ClusterCertificateException>(() => ClusterCertificate.LoadOrCreate(root.Path, null, joining: true));
        Assert.Contains("copy the first coordinator's DATA_DIR/tls/cluster.pfx", refused.Message);
        Assert.Contains("--cluster-cert FILE", refused.Message);
        Assert.False(File.Exists(ClusterCertificate.DefaultFile(root.Path)));

        var missing = Assert.Throws<ClusterCertificateException>(() => ClusterCertificate.LoadOrCreate(root.Path, root.File("nowhere.pfx"), joining: true));
        Assert.Contains("not found", missing.Message);
    }

    [Fact]
    public void A_new_cluster_creates_its_certificate_once_readable_only_by_its_owner_and_pinned_by_peers()
    {
        using var root = new TempDirectory();
        using var created = ClusterCertificate.LoadOrCreate(root.Path, null, joining: false);
        var file = ClusterCertificate.DefaultFile(root.Path);
        Assert.Equal(file, created.File);
        Assert.True(created.Certificate.HasPrivateKey);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        using var loaded = ClusterCertificate.LoadOrCreate(root.Path, null, joining: true);
        Assert.Equal(created.Certificate.Thumbprint, loaded.Certificate.Thumbprint);
        using var copy = ClusterCertificate.LoadOrCreate(root.File("elsewhere"), file, joining: true);
        Assert.Equal(created.Certificate.Thumbprint, copy.Certificate.Thumbprint);

        using var other = ClusterCertificate.Create(root.File("other.pfx"));
        Assert.True(created.Validate(copy.Certificate, null, "peer", default, null));
        Assert.False(created.Validate(null, null, "peer", default, null));
        Assert.False(created.Validate(other.Certificate, null, "peer", default, null));
        Assert.Contains(other.Certificate.Thumbprint, created.LastRefusal);
    }

    [Fact]
    public void With_a_cluster_ca_peers_whose_certificate_chains_to_it_are_accepted_and_others_refused()
    {
        using var root = new TempDirectory();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=gensyn-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(root.File("ca.pem"), ca.ExportCertificatePem());

        var member = Member("CN=member-a", ca, root.File("a.pfx"));
        Member("CN=member-b", ca, root.File("b.pfx"));
        using var a = ClusterCertificate.LoadOrCreate(root.File("a"), member, joining: true, root.File("ca.pem"));
        using var b = ClusterCertificate.LoadOrCreate(root.File("b"), root.File("b.pfx"), joining: true, root.File("ca.pem"));
        using var stranger = ClusterCertificate.Create(root.File("stranger.pfx"));

        Assert.True(a.Validate(b.Certificate, null, "b", default, null));
        Assert.True(b.Validate(a.Certificate, null, "a", default, null));
        Assert.False(a.Validate(stranger.Certificate, null, "stranger", default, null));
        Assert.Contains("does not chain to the cluster CA", a.LastRefusal);

        var noCert = Assert.Throws<ClusterCertificateException>(() => ClusterCertificate.LoadOrCreate(root.File("c"), null, joining: false, root.File("ca.pem")));
        Assert.Contains("--cluster-cert", noCert.Message);
    }

    private static string Member(string subject, X509Certificate2 ca, string file)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMonths(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(key);
        File.WriteAllBytes(file, withKey.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, ClusterCertificate.Password));
        return file;
    }

    private static CoordinatorNode Start(TempDirectory root, string name, int port, IReadOnlyList<string> seeds, string? certificate = null) =>
        CoordinatorNode.Start(new CoordinatorOptions(
            "127.0.0.1", port, seeds, root.File(name), JournalOptions.Sqlite(root.File($"{name}.db")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cluster.hocon")), ClusterCertificate: certificate));

    private static int UpMembers(CoordinatorNode node) => Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == MemberStatus.Up);

    private static Task WaitUntil(Func<bool> condition, TimeSpan giveUpAfter, string what) =>
        Poll.Until(condition, giveUpAfter, what);
}

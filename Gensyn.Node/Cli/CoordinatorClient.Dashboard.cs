using Gensyn.Contracts.Messages;
using Grpc.Core;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Node.Cli;

/// <summary>The signed call behind <c>gensyn dashboard</c>.</summary>
public sealed partial class CoordinatorClient
{
    /// <summary>A one-time sign-in link to the dashboard of the coordinator that answered, signed in as this client's
    /// wallet; on <paramref name="jobId"/>'s page when given. Or the refusal.</summary>
    public async Task<(IGensynMessage? Failure, Uri? Url, DateTimeOffset Expires, string? Fingerprint)>
        DashboardSignIn(string? jobId)
    {
        var (connection, network) = await Edge(DefaultTimeout);
        var edge = new V1.RequesterEdge.RequesterEdgeClient(connection.Channel);
        var call = new V1.DashboardSessionRequest { JobId = jobId ?? "" };
        try
        {
            var signed = Signed("CreateDashboardSession", call, network, connection, createWallet: false);
            var reply = await edge.CreateDashboardSessionAsync(call, signed, DateTime.UtcNow + DefaultTimeout);
            var query = $"token={Uri.EscapeDataString(reply.Token)}" +
                        (jobId is null ? "" : $"&job={Uri.EscapeDataString(jobId)}");
            return (null, new Uri($"https://{connection.Endpoint}/session?{query}"),
                DateTimeOffset.FromUnixTimeMilliseconds(reply.TokenExpiresUnixMs), connection.Fingerprint);
        }
        catch (RpcException e)
        {
            return (Refusal(e, connection, null, DefaultTimeout), null, default, null);
        }
    }
}

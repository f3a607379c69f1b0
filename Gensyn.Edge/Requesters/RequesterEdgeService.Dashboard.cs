using Grpc.Core;
using Microsoft.Extensions.Logging;
using V1 = Gensyn.Edge.V1;

namespace Gensyn.Edge.Requesters;

public sealed partial class RequesterEdgeService
{
    /// <summary>
    /// A one-time dashboard sign-in token for the signer (docs/operations/dashboard.md): `gensyn dashboard` opens
    /// <c>/session?token=…</c> with it, and the browser gets a session cookie for that address. The wallet's key never
    /// leaves the CLI.
    /// </summary>
    public override async Task<V1.DashboardSessionReply> CreateDashboardSession(V1.DashboardSessionRequest request,
        ServerCallContext context)
    {
        var caller = await Caller(request, context);
        var sessions = edge.Dashboard
                       ?? throw new RpcException(new Status(StatusCode.Unimplemented,
                           "this coordinator serves no dashboard"));
        try
        {
            var (token, expires) = sessions.Mint(caller);
            log.LogInformation("Dashboard sign-in token minted for {Caller}", caller);
            return new V1.DashboardSessionReply
            {
                Token = token, TokenExpiresUnixMs = expires.ToUnixTimeMilliseconds(),
                SessionSeconds = (long)sessions.SessionLifetime.TotalSeconds,
            };
        }
        catch (InvalidOperationException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
    }
}

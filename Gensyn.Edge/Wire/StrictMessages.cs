using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gensyn.Edge.Wire;

/// <summary>
/// Binds the edge's gRPC services so that request bytes that are not a valid message of the method's type are refused with
/// <see cref="StatusCode.InvalidArgument"/> and a line naming the type, instead of the framework's <c>Unknown</c> ("Exception was thrown by
/// handler"). The handlers are the services' own methods, found by name as gRPC's default binding finds them.
/// </summary>
public static class StrictMessages
{
    /// <summary>Replaces gRPC's default method discovery with the strict one for the two edge services (call after AddGrpc).</summary>
    public static IServiceCollection AddStrictEdgeServices(this IServiceCollection services)
    {
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.AddSingleton<IServiceMethodProvider<Workers.WorkerEdgeService>>(new Provider<Workers.WorkerEdgeService>(b => V1.WorkerEdge.BindService(b, null)));
        services.AddSingleton<IServiceMethodProvider<Requesters.RequesterEdgeService>>(new Provider<Requesters.RequesterEdgeService>(b => V1.RequesterEdge.BindService(b, null)));
        return services;
    }

    /// <summary>A marshaller whose deserializer turns malformed bytes into an <see cref="RpcException"/> the caller can act on.</summary>
    public static Marshaller<T> Strict<T>(Marshaller<T> inner, string typeName) => Marshallers.Create(inner.ContextualSerializer, context =>
    {
        try
        {
            return inner.ContextualDeserializer(context);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {typeName} message ({e.Message}); the client must speak gensyn.v1 (docs/edge-protocol.md)"));
        }
    });

    private sealed class Provider<TService>(Action<ServiceBinderBase> bind) : IServiceMethodProvider<TService> where TService : class
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context) => bind(new Binder<TService>(context));
    }

    private sealed class Binder<TService>(ServiceMethodProviderContext<TService> context) : ServiceBinderBase where TService : class
    {
        private static Method<TRequest, TResponse> StrictMethod<TRequest, TResponse>(Method<TRequest, TResponse> method) where TRequest : class where TResponse : class =>
            new(method.Type, method.ServiceName, method.Name, Strict(method.RequestMarshaller, $"{method.ServiceName[..(method.ServiceName.LastIndexOf('.') + 1)]}{typeof(TRequest).Name}"), method.ResponseMarshaller);

        private static TDelegate Handler<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate =>
            (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), typeof(TService).GetMethod(name, parameters)
                ?? throw new InvalidOperationException($"{typeof(TService).Name} has no method {name}"));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(StrictMethod(method), [], Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(StrictMethod(method), [],
                Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(StrictMethod(method), [],
                Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(StrictMethod(method), [],
                Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)));
    }
}

namespace Gensyn.Contracts.Serialization;

/// <summary>The HOCON that binds the project's messages and blob chunks to their serializers.</summary>
public static class SerializationConfig
{
    public const string Hocon = """
        akka.actor {
          serializers {
            gensyn = "Gensyn.Contracts.Serialization.GensynSerializer, Gensyn.Contracts"
            gensyn-bytes = "Gensyn.Contracts.Serialization.ByteStringSerializer, Gensyn.Contracts"
            # No default JSON (Newtonsoft, type names from the wire) in or out.
            json = "Gensyn.Contracts.Serialization.RefusingSerializer, Gensyn.Contracts"
          }
          serialization-bindings {
            "Gensyn.Contracts.Messages.IGensynMessage, Gensyn.Contracts" = gensyn
            "Akka.IO.ByteString, Akka" = gensyn-bytes
          }
          serialization-identifiers {
            "Gensyn.Contracts.Serialization.GensynSerializer, Gensyn.Contracts" = 4711
            "Gensyn.Contracts.Serialization.ByteStringSerializer, Gensyn.Contracts" = 4712
            "Gensyn.Contracts.Serialization.RefusingSerializer, Gensyn.Contracts" = 1
          }
        }
        """;
}

namespace Gensyn.Actors; internal static class AssemblyMarker { }

namespace LocalTls;
internal static class Placeholder { }

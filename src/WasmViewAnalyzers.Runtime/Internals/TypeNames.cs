namespace WasmViewAnalyzers.Runtime.Internals;

/// <summary>C# spellings of delegate types, for error messages: <c>Func&lt;int, (int, long)&gt;</c>.</summary>
internal static class TypeNames
{
    public static string Describe(Type type)
    {
        if (type == typeof(int))
        {
            return "int";
        }

        if (type == typeof(long))
        {
            return "long";
        }

        if (type == typeof(float))
        {
            return "float";
        }

        if (type == typeof(double))
        {
            return "double";
        }

        if (type == typeof(object))
        {
            return "object";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var arguments = type.GetGenericArguments().Select(Describe);
        if (type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
        {
            return $"({string.Join(", ", arguments)})";
        }

        var name = type.Name;
        return $"{name[..name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", arguments)}>";
    }
}

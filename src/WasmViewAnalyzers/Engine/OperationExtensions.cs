using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

internal static class OperationExtensions
{
    /// <summary>The value passed for the parameter of ordinal <paramref name="ordinal"/>, whatever order the arguments are written in.</summary>
    public static IOperation? ArgumentFor(this IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>Looks through conversions, parentheses and <c>!</c> to the value actually computed.</summary>
    public static IOperation WalkDownConversions(this IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>
    /// How a call reads in source, for messages: <c>convert.Invoke</c>, <c>memory.Grow</c>,
    /// <c>run</c>, <c>new Instance</c>. Long receivers are shortened.
    /// </summary>
    public static string DescribeCall(this IOperation operation)
    {
        var syntax = operation.Syntax;
        string text = syntax switch
        {
            InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } invocation
                when invocation.Parent is ConditionalAccessExpressionSyntax conditional => conditional.Expression + "?" + binding,
            InvocationExpressionSyntax invocation => invocation.Expression.ToString(),
            BaseObjectCreationExpressionSyntax creation => creation is ObjectCreationExpressionSyntax explicitCreation
                ? "new " + explicitCreation.Type
                : "new " + (operation.Type?.Name ?? string.Empty),
            _ => operation switch
            {
                IInvocationOperation invocation => invocation.TargetMethod.Name,
                IPropertyReferenceOperation property => property.Property.Name,

                // GuestRead read = text: the user's conversion operator runs; the syntax is only its operand.
                IConversionOperation { OperatorMethod: not null, IsImplicit: true, Type: { } type } conversion => "(" + type.Name + ")" + conversion.Operand.Syntax,
                _ => syntax.ToString(),
            },
        };

        text = CollapseWhitespace(text);
        if (text.Length > 60 && syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access })
        {
            // keys.Select(k => { ... }).ToList reads as keys.Select(...).ToList: the receiver's
            // calls keep their names, their arguments (a lambda's body, say) are left out.
            text = CollapseWhitespace(WithoutArguments(access));
        }

        return text.Length <= 60 ? text : "..." + text.Substring(text.Length - 57);
    }

    private static string WithoutArguments(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax access => WithoutArguments(access.Expression) + access.OperatorToken.Text + access.Name,
        InvocationExpressionSyntax invocation => WithoutArguments(invocation.Expression) + (invocation.ArgumentList.Arguments.Count == 0 ? "()" : "(...)"),
        ElementAccessExpressionSyntax element => WithoutArguments(element.Expression) + "[...]",
        ParenthesizedExpressionSyntax parenthesized => "(" + WithoutArguments(parenthesized.Expression) + ")",
        _ => expression.ToString(),
    };

    private static string CollapseWhitespace(string text)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace && c != '.' && c != '(' && c != ')' && c != '<' && c != '>' && c != ',')
            {
                builder.Append(' ');
            }

            pendingSpace = false;
            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The operations a call of the body executes: nested lambdas and local functions only run
    /// when they are invoked, which is itself a call the summaries see.
    /// </summary>
    public static IEnumerable<IOperation> DescendantsOutsideNestedFunctions(this IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            yield return operation;
            foreach (var child in operation.ChildOperations)
            {
                if (child is IAnonymousFunctionOperation or ILocalFunctionOperation)
                {
                    continue;
                }

                stack.Push(child);
            }
        }
    }
}
